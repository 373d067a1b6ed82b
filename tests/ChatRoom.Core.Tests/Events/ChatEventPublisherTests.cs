using ChatRoom.Blocking;
using ChatRoom.Events;
using Microsoft.Extensions.DependencyInjection;
using NSubstitute;

namespace ChatRoom.Core.Tests.Events;

public sealed class ChatEventPublisherTests
{
    [Fact]
    public async Task A_failing_sink_neither_undoes_the_operation_nor_starves_the_other_sinks()
    {
        var faulty = Substitute.For<IChatEventSink>();
        faulty.When(s => s.OnEvent(Arg.Any<ChatEvent>())).Do(_ => throw new InvalidOperationException("bug in sink"));
        using var core = CoreHarness.Create(services: s => s.AddSingleton(faulty));

        Assert.Equal(BlockResult.Blocked, await core.Get<IBlacklistService>().BlockAsync("seas", "columbia"));

        Assert.Single(core.Events.OfType<UserBlocked>());
        Assert.True(await core.Get<IBlacklistService>().HasBlockedAsync("seas", "columbia"));
    }
}
