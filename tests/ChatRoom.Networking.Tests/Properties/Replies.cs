using ChatRoom.Protocol;
using ChatRoom.Protocol.Commands;
using Microsoft.Extensions.Options;
using NSubstitute;

namespace ChatRoom.Networking.Tests.Properties;

/// <summary>A request as a command handler sees it, enough to encode a reply (no core behind it).</summary>
internal static class Replies
{
    public static CommandRequest Request(string line)
    {
        Assert.True(CommandParser.TryParse(line, out var command, out var error), error?.Text);
        var options = Substitute.For<IOptionsMonitor<ChatRoomOptions>>();
        options.CurrentValue.Returns(new ChatRoomOptions());
        return new CommandRequest(command, null, null!, new CommandServices(null!, null!, null!, null!, options, new ChatRoom.Server.Diagnostics.ChatServerMetrics(null)));
    }
}
