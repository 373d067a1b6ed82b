using System.Net;
using ChatRoom.Auth;
using ChatRoom.Client;

namespace ChatRoom.ClientApp.Tests;

public sealed class ReconnectTextTests
{
    [Fact]
    public void Losing_the_server_is_said_once_at_the_first_attempt_and_the_reconnect_in_one_line()
    {
        Assert.Equal("! lost the server (connection-lost); reconnecting", ChatShell.Describe(new ReconnectingNotice(1, TimeSpan.Zero, "connection-lost")));
        Assert.Null(ChatShell.Describe(new ReconnectingNotice(2, TimeSpan.FromSeconds(1), "cannot connect to b:5566: Connection refused")));
        Assert.Equal("* reconnected to b:5566", ChatShell.Describe(new ReconnectedNotice("b:5566")));
    }

    [Fact]
    public void A_refused_login_on_reconnect_says_why()
    {
        Assert.Equal("! cannot log in again: the server no longer accepts your password", ChatShell.Describe(new ReconnectRefusedNotice(new LoginInvalid(2))));
        Assert.Equal("! cannot log in again: your name is locked for 60 s", ChatShell.Describe(new ReconnectRefusedNotice(new LoginLocked(TimeSpan.FromMinutes(1)))));
    }

    [Fact]
    public void The_classic_host_and_port_still_name_one_server()
    {
        Assert.Equal([new DnsEndPoint("localhost", 5566)], ServerAddresses.Parse(["localhost", "5566"], out _));
    }

    [Fact]
    public void Several_host_port_pairs_keep_their_order_and_IPv6_goes_in_brackets()
    {
        Assert.Equal(
            [new DnsEndPoint("a.example", 5566), new DnsEndPoint("10.0.0.2", 5567), new DnsEndPoint("::1", 5568)],
            ServerAddresses.Parse(["a.example:5566", "10.0.0.2:5567", "[::1]:5568"], out _));
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("localhost:0")]
    [InlineData(":5566")]
    [InlineData("::1:5566")]
    [InlineData("[nonsense]:5566")]
    [InlineData("localhost 5566 b:1")]
    [InlineData("a:1 2")]
    public void Anything_else_is_refused_with_the_forms_it_takes(string words)
    {
        Assert.Null(ServerAddresses.Parse(words.Split(' '), out var error));
        Assert.Contains("give HOST PORT, or one or more HOST:PORT", error, StringComparison.Ordinal);
    }
}
