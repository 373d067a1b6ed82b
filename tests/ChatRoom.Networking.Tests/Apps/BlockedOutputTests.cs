using System.Globalization;
using ChatRoom.Client;
using ChatRoom.Routing;
using ChatRoom.Sessions;

namespace ChatRoom.Networking.Tests.Apps;

/// <summary>
/// The console client acknowledges a message only after printing it, so a client whose output is blocked (a paused
/// terminal, a pipe into a pager) and is then killed loses nothing: what it did not print comes at the next login.
/// </summary>
public sealed class BlockedOutputTests
{
    private const int Count = 10_000;
    private const int Senders = 4;

    // Long lines fill the output pipe's buffer (64 KiB on Linux) after a few hundred messages.
    private static readonly string Padding = new('x', 200);

    [Fact]
    public async Task A_client_killed_while_its_output_is_blocked_loses_no_message_it_did_not_print()
    {
        // More than a default box holds for one recipient: this test is about a blocked output, not the box limit.
        await using var server = await TestServer.StartAsync(core: o => o.MaxMailboxMessages = Count, transport: TestTransport.Sockets);
        await using var columbia = AppProcess.ClientWithUnreadOutput("127.0.0.1", server.Port.ToString(CultureInfo.InvariantCulture));
        await columbia.TypeCredentialsAsync("columbia");
        await columbia.ReadOutputUntilAsync(l => l.StartsWith("welcome, columbia", StringComparison.Ordinal));
        var (seas, _) = await server.LoginAsync("seas");

        // From here on nobody reads columbia's output.
        await Task.WhenAll(Enumerable.Range(0, Senders).Select(async sender =>
        {
            for (var n = sender; n < Count; n += Senders)
            {
                Assert.NotEqual(SendOutcome.Refused, (await seas.SendAsync("columbia", $"{Tag(n)} {Padding}")).Outcome);
            }
        }));
        await columbia.KillAsync();

        var printed = (await columbia.ReadRestOfOutputAsync()).Select(TagOf).OfType<int>().ToHashSet();
        Assert.InRange(printed.Count, 0, Count - 1); // the output did block, or this test proves nothing

        var missing = Enumerable.Range(0, Count).Where(n => !printed.Contains(n)).ToHashSet();
        var again = await server.ConnectAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string? ended = null;
        try
        {
            await again.LoginAsync("columbia", TestServer.Passwords["columbia"], timeout.Token);
            await foreach (var notice in again.Notices.WithCancellation(timeout.Token))
            {
                if (notice is MessageNotice { Message.Text: var text } && TagOf("seas: " + text) is { } n)
                {
                    missing.Remove(n);
                    if (missing.Count == 0)
                    {
                        break;
                    }
                }
                else if (notice is DisconnectedNotice disconnected)
                {
                    ended = disconnected.Reason;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChatConnectionException)
        {
            // Reported below with what is still missing.
            ended ??= ex.Message;
        }

        Assert.True(
            missing.Count == 0,
            $"{missing.Count} of the {Count - printed.Count} messages columbia did not print never arrived at the next login"
            + (ended is null ? string.Empty : $" (that connection ended: {ended})")
            + string.Concat(server.Logs.Lines.Where(l => l.StartsWith("Warning", StringComparison.Ordinal)).Select(l => "\n" + l)));
    }

    private static string Tag(int n) => $"m{n.ToString("D5", CultureInfo.InvariantCulture)}";

    // "seas: m01234 xxx…" → 1234; anything else (prompts, a line cut short by the kill) → null.
    private static int? TagOf(string line)
        => line.StartsWith("seas: m", StringComparison.Ordinal) && line.Length >= 12
            && int.TryParse(line.AsSpan(7, 5), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
}
