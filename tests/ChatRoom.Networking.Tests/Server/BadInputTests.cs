using System.Text;
using ChatRoom.Protocol;
using ChatRoom.Protocol.Commands;
using ChatRoom.Sessions;

namespace ChatRoom.Networking.Tests.Server;

public sealed class BadInputTests
{
    [Theory]
    [InlineData("frobnicate\n", "error unknown-command")]
    [InlineData("message\n", "error missing-argument")]
    [InlineData("block a b\n", "error bad-argument")]
    [InlineData("online\n", "error not-logged-in")]
    [InlineData("login seas summerisover 99999\n", "error bad-argument")]
    [InlineData("#this-tag-is-bad online\n", "error bad-argument")]
    public async Task A_bad_line_gets_an_error_and_the_connection_stays_usable(string line, string expected)
    {
        await using var server = await TestServer.StartAsync();
        var raw = await server.ConnectRawAsync();
        await raw.ExpectAsync("hello ChatRoom 1 ");

        await raw.SendAsync(line);
        Assert.StartsWith(expected, await raw.ReadLineAsync(), StringComparison.Ordinal);

        await raw.SendAsync("#1 login seas summerisover\n");
        Assert.Equal("ok #1 login seas", await raw.ExpectAsync("ok #1"));
    }

    [Fact]
    public async Task An_over_long_line_is_refused_and_the_next_line_is_read_normally()
    {
        await using var server = await TestServer.StartAsync(server: o => o.MaxLineBytes = 1024);
        var raw = await server.ConnectRawAsync();
        await raw.ExpectAsync("hello");

        await raw.SendAsync(new string('a', 5000) + "\n#2 help\n");

        Assert.StartsWith("error line-too-long", await raw.ExpectAsync("error"), StringComparison.Ordinal);
        Assert.StartsWith("ok #2 help", await raw.ExpectAsync("ok"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_UTF8_is_refused_without_harming_the_connection()
    {
        await using var server = await TestServer.StartAsync();
        var raw = await server.ConnectRawAsync();
        await raw.ExpectAsync("hello");

        await raw.SendAsync([.. "message seas "u8, 0xC3, 0x28, (byte)'\n', .. "#3 help\n"u8]);

        Assert.StartsWith("error invalid-utf8", await raw.ExpectAsync("error"), StringComparison.Ordinal);
        Assert.StartsWith("ok #3 help", await raw.ExpectAsync("ok"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Control_characters_in_message_text_are_refused()
    {
        await using var server = await TestServer.StartAsync();
        var raw = await server.ConnectRawAsync();
        await raw.SendAsync("login seas summerisover\nmessage seas hi\u001b[2Jthere\n");

        Assert.StartsWith("error bad-argument", await raw.ExpectAsync("error"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_ack_with_a_malformed_id_is_refused_naming_it()
    {
        await using var server = await TestServer.StartAsync();
        var raw = await server.ConnectRawAsync();
        await raw.SendAsync("login seas summerisover\n#5 ack 0123456789abcdef0123456789abcdef  nope\n");

        Assert.Equal("error #5 bad-argument :'nope' is not a message id", await raw.ExpectAsync("error"));
    }

    [Fact]
    public async Task Garbage_from_one_client_never_touches_another_users_session()
    {
        await using var server = await TestServer.StartAsync(server: o => o.MaxLineBytes = 1024);
        var (seas, _) = await server.LoginAsync("seas");
        var (_, columbiaInbox) = await server.LoginAsync("columbia");
        var raw = await server.ConnectRawAsync();
        var random = new Random(4119);
        var noise = new byte[64 * 1024];
        random.NextBytes(noise);

        await raw.SendAsync(noise);
        await raw.SendAsync("\nlogin foobar passpass\n");
        await raw.ExpectAsync("ok login foobar");
        await seas.SendAsync("columbia", "unharmed");

        await columbiaInbox.WaitForAsync<MessageNotice>(m => m.Message.Text == "unharmed");
        Assert.Empty(columbiaInbox.OfType<ByeNotice>());
    }

    [Fact]
    public async Task A_command_split_across_many_packets_is_read_whole()
    {
        await using var server = await TestServer.StartAsync(transport: TestTransport.Sockets);
        var raw = await server.ConnectRawAsync();
        raw.Socket.NoDelay = true;
        foreach (var b in Encoding.UTF8.GetBytes("#9 login seas summerisover\r\n"))
        {
            await raw.SendAsync([b]);
        }

        Assert.Equal("ok #9 login seas", await raw.ExpectAsync("ok"));
    }

    [Fact]
    public async Task The_help_line_lists_every_command_from_the_table()
    {
        await using var server = await TestServer.StartAsync();
        var raw = await server.ConnectRawAsync();
        await raw.SendAsync("help\n");

        var help = await raw.ExpectAsync("ok help");
        Assert.All(CommandTable.All, command => Assert.Contains(command.Spec.Usage, help, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_client_that_leaves_its_replies_unread_and_resets_does_not_stall_shutdown()
    {
        var server = await TestServer.StartAsync(server: o => o.MaxLineBytes = 1024);
        var raw = await server.ConnectRawAsync();
        var noise = new byte[64 * 1024];
        new Random(4119).NextBytes(noise);
        await raw.SendAsync(noise);
        await raw.SendAsync("\nlogin foobar passpass\n");
        await raw.ReadLineAsync();

        var disposing = server.DisposeAsync().AsTask();

        Assert.Same(disposing, await Task.WhenAny(disposing, Task.Delay(TestServer.Wait)));
    }
}
