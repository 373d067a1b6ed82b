using ChatRoom.Protocol;
using ChatRoom.Protocol.Commands;

namespace ChatRoom.Networking.Tests.Protocol;

public sealed class CommandParserTests
{
    [Theory]
    [InlineData("login seas summerisover", "login", new[] { "seas", "summerisover" })]
    [InlineData("  login   seas summerisover 4000  ", "login", new[] { "seas", "summerisover", "4000" })]
    [InlineData("login seas summerisover 4000 10.0.0.7", "login", new[] { "seas", "summerisover", "4000", "10.0.0.7" })]
    [InlineData("message columbia hello   there", "message", new[] { "columbia", "hello   there" })]
    [InlineData("message columbia tab\tis text", "message", new[] { "columbia", "tab\tis text" })]
    [InlineData("MESSAGE columbia 123", "message", new[] { "columbia", "123" })]
    [InlineData("broadcast 321", "broadcast", new[] { "321" })]
    [InlineData("online", "online", new string[0])]
    [InlineData("block columbia", "block", new[] { "columbia" })]
    [InlineData("unblock columbia", "unblock", new[] { "columbia" })]
    [InlineData("logout", "logout", new string[0])]
    [InlineData("getaddress columbia", "getaddress", new[] { "columbia" })]
    [InlineData("consent seas y", "consent", new[] { "seas", "y" })]
    [InlineData("heartbeat", "heartbeat", new string[0])]
    [InlineData("help", "help", new string[0])]
    public void Each_verb_parses_with_its_arguments(string line, string verb, string[] args)
    {
        Assert.True(CommandParser.TryParse(line, out var command, out _));
        Assert.Equal(verb, command.Spec.Name);
        Assert.Equal(args, command.Args);
        Assert.Null(command.Tag);
    }

    [Fact]
    public void A_tag_before_the_verb_is_kept()
    {
        Assert.True(CommandParser.TryParse("#42 online", out var command, out _));
        Assert.Equal("42", command.Tag);
    }

    [Theory]
    [InlineData("", ErrorCodes.UnknownCommand)]
    [InlineData("dance", ErrorCodes.UnknownCommand)]
    [InlineData("message", ErrorCodes.MissingArgument)]
    [InlineData("message columbia", ErrorCodes.MissingArgument)]
    [InlineData("login seas", ErrorCodes.MissingArgument)]
    [InlineData("online now", ErrorCodes.BadArgument)]
    [InlineData("login seas pw 70000", ErrorCodes.BadArgument)]
    [InlineData("login seas pw port", ErrorCodes.BadArgument)]
    [InlineData("login seas pw 4000 not-an-ip", ErrorCodes.BadArgument)]
    [InlineData("consent seas maybe", ErrorCodes.BadArgument)]
    [InlineData("block :colon", ErrorCodes.BadArgument)]
    [InlineData("message columbia bell\u0007", ErrorCodes.BadArgument)]
    [InlineData("message columbia del\u007Fete", ErrorCodes.BadArgument)]
    [InlineData("broadcast c1\u009Bcontrol", ErrorCodes.BadArgument)]
    [InlineData("#bad-tag online", ErrorCodes.BadArgument)]
    public void Bad_lines_get_a_named_error(string line, string code)
    {
        Assert.False(CommandParser.TryParse(line, out _, out var error));
        Assert.Equal(code, error.Code);
        Assert.False(string.IsNullOrWhiteSpace(error.Text));
    }

    [Fact]
    public void An_error_keeps_the_tag_so_the_client_can_match_it()
    {
        Assert.False(CommandParser.TryParse("#5 message", out _, out var error));
        Assert.Equal("5", error.Tag);
    }

    [Fact]
    public void An_unknown_command_is_echoed_without_control_characters()
    {
        Assert.False(CommandParser.TryParse("\u001b[31mred", out _, out var error));
        Assert.DoesNotContain('\u001b', error.Text);
    }

    [Fact]
    public void Usage_is_written_from_the_table()
    {
        Assert.Equal("login <user> <password> [peer-port] [peer-address] [peer-pin]", CommandTable.Login.Spec.Usage);
        Assert.Equal("message <user> <text>", CommandTable.Message.Spec.Usage);
    }
}
