using ChatRoom.Sessions;

namespace ChatRoom.Networking.Tests.Server;

public sealed class BidiControlTests
{
    public static TheoryData<string> Controls => ["\u202A", "\u202B", "\u202C", "\u202D", "\u202E", "\u2066", "\u2067", "\u2068", "\u2069"];

    [Theory]
    [MemberData(nameof(Controls))]
    public async Task Message_and_broadcast_texts_with_a_bidirectional_control_are_refused_and_not_relayed(string control)
    {
        await using var server = await TestServer.StartAsync();
        var (_, columbiaInbox) = await server.LoginAsync("columbia");
        var seas = await LoginRawAsync(server);

        await seas.SendAsync($"#1 message columbia invoice{control}fdp.exe\n#2 broadcast look{control}here\n#3 message columbia marker\n");

        Assert.StartsWith("error #1 bad-argument :text may not contain bidirectional", await seas.ExpectAsync("error #1 "), StringComparison.Ordinal);
        Assert.StartsWith("error #2 bad-argument", await seas.ExpectAsync("error #2 "), StringComparison.Ordinal);
        await columbiaInbox.WaitForAsync<MessageNotice>(m => m.Message.Text == "marker");
        Assert.Single(columbiaInbox.OfType<MessageNotice>());
    }

    [Fact]
    public async Task Directional_marks_used_by_right_to_left_writers_are_allowed_in_texts()
    {
        await using var server = await TestServer.StartAsync();
        var (_, columbiaInbox) = await server.LoginAsync("columbia");
        var seas = await LoginRawAsync(server);

        await seas.SendAsync("#1 message columbia \u05E9\u05DC\u05D5\u05DD!\u200F\n");

        Assert.StartsWith("ok #1 message", await seas.ExpectAsync("ok #1 "), StringComparison.Ordinal);
        await columbiaInbox.WaitForAsync<MessageNotice>(m => m.Message.Text == "\u05E9\u05DC\u05D5\u05DD!\u200F");
    }

    [Theory]
    [InlineData("\u202E")]
    [InlineData("\u2067")]
    [InlineData("\u200F")]
    [InlineData("\u061C")]
    public async Task A_user_name_with_a_bidirectional_control_is_refused_in_every_command(string control)
    {
        await using var server = await TestServer.StartAsync();
        var raw = server.ConnectRawFrom("10.0.0.1");
        await raw.ExpectAsync("hello");

        await raw.SendAsync($"#1 login sea{control}s summerisover\n#2 login seas summerisover\n#3 message col{control}umbia hi\n#4 block goo{control}gle\n#5 getaddress a{control}b\n");

        foreach (var tag in new[] { "#1", "#3", "#4", "#5" })
        {
            var line = await raw.ExpectAsync($"error {tag} ");
            Assert.StartsWith($"error {tag} bad-argument", line, StringComparison.Ordinal);
            Assert.DoesNotContain(control, line, StringComparison.Ordinal);
        }
    }

    private static async Task<RawClient> LoginRawAsync(TestServer server)
    {
        var raw = await server.ConnectRawAsync();
        await raw.ExpectAsync("hello");
        await raw.SendAsync("#login login seas summerisover\n");
        await raw.ExpectAsync("ok #login");
        return raw;
    }
}
