using System.Net.Sockets;
using System.Text;
using ChatRoom.Auth;

namespace ChatRoom.Networking.Tests.Adversarial;

/// <summary>
/// Attacks from outside, over real TCP on loopback, each while two ordinary users keep chatting: the server must not
/// crash, must lose nothing it accepted, and must keep the pair's round trip under <see cref="RoundTripBound"/>.
/// Every attack is bounded in count and time so the suite runs in CI.
/// </summary>
[Trait("Category", "Adversarial")]
public sealed class AdversarialTests
{
    // Generous for a loaded 2-core CI box; an attack that stalls the server shows up as seconds, not milliseconds.
    private static readonly TimeSpan RoundTripBound = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Garbage_on_many_connections_does_not_disturb_a_chat()
    {
        await using var server = await TestServer.StartAsync(transport: TestTransport.Sockets);
        var chat = await LegitimateChat.StartAsync(server);

        var random = new Random(4119);
        var attackers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => server.ConnectRawAsync()));
        for (var round = 0; round < 20; round++)
        {
            foreach (var attacker in attackers)
            {
                var junk = new byte[4096];
                random.NextBytes(junk);
                await SendIgnoringResetAsync(attacker, junk);
            }

            await chat.WaitForRoundTripsAsync(1);
        }

        await chat.StopAndAssertAsync(RoundTripBound, atLeast: 20);
    }

    [Fact]
    public async Task A_ten_megabyte_line_is_refused_while_a_chat_goes_on()
    {
        await using var server = await TestServer.StartAsync(transport: TestTransport.Sockets);
        var chat = await LegitimateChat.StartAsync(server);
        var attacker = await server.ConnectRawAsync();
        await attacker.ExpectAsync("hello");

        var chunk = Encoding.ASCII.GetBytes(new string('x', 1024 * 1024));
        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                await attacker.SendAsync(chunk);
            }

            await attacker.SendAsync("\n#after help\n");
        });

        Assert.StartsWith("error line-too-long", await attacker.ExpectAsync("error"), StringComparison.Ordinal);
        await sending;
        Assert.StartsWith("ok #after help", await attacker.ExpectAsync("ok #after"), StringComparison.Ordinal);
        await chat.WaitForRoundTripsAsync(5);
        await chat.StopAndAssertAsync(RoundTripBound, atLeast: 5);
    }

    [Fact]
    public async Task Parallel_wrong_password_logins_do_not_touch_the_logged_in_owner()
    {
        await using var server = await TestServer.StartAsync(transport: TestTransport.Sockets);
        var chat = await LegitimateChat.StartAsync(server);

        // Guesses at the answerer's name and at a name nobody has, 100 at once.
        var guesses = Enumerable.Range(0, 100).Select(async i =>
        {
            await using var guesser = await server.ConnectAsync();
            return await guesser.LoginAsync(i % 2 == 0 ? "seas" : "nobody" + i, "guess" + i);
        });
        var results = await Task.WhenAll(guesses);

        Assert.All(results, r => Assert.IsNotType<LoginSuccess>(r));
        await chat.WaitForRoundTripsAsync(5);
        await chat.StopAndAssertAsync(RoundTripBound, atLeast: 5);
    }

    private static async Task SendIgnoringResetAsync(RawClient client, byte[] bytes)
    {
        try
        {
            await client.SendAsync(bytes);
        }
        catch (IOException e) when (e.InnerException is SocketException)
        {
            // The server may close a connection that sent only garbage; that is its right.
        }
    }
}
