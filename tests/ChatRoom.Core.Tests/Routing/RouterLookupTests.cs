using ChatRoom.Blocking;
using ChatRoom.Offline;
using ChatRoom.Presence;
using ChatRoom.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatRoom.Core.Tests.Routing;

/// <summary>What a single server's router looks up on the way, and in which order.</summary>
public sealed class RouterLookupTests : IDisposable
{
    private readonly GatedOfflineStore _store = new(new InMemoryOfflineStore());
    private CountingPresence? _presence;
    private readonly CoreHarness _core;

    public RouterLookupTests() => _core = CoreHarness.Create(services: s =>
    {
        s.AddSingleton<IOfflineStore>(_store);
        s.AddSingleton<IPresenceService>(sp => _presence = new CountingPresence(ActivatorUtilities.CreateInstance<PresenceService>(sp)));
    });

    private IMessageRouter Router => _core.Get<IMessageRouter>();

    public void Dispose() => _core.Dispose();

    [Fact]
    public async Task A_message_to_a_removed_user_whose_old_block_list_remains_is_refused_as_unknown_not_as_blocked()
    {
        // "ghost" is not in the user list, but a block list it kept from before is still in the store.
        await _core.Get<IBlockListStore>().AddAsync("ghost", "seas");

        var result = await Router.SendAsync("seas", "ghost", "hello?");

        Assert.Equal((SendOutcome.Refused, RefusalReason.UnknownUser), (result.Outcome, result.Refusal));
    }

    [Fact]
    public async Task A_single_server_stores_a_message_for_an_offline_user_without_asking_presence()
    {
        await _core.OnlineAsync("seas");
        var finds = _presence!.Finds;

        var result = await Router.SendAsync("seas", "columbia", "later");

        Assert.Equal(SendOutcome.StoredOffline, result.Outcome);
        Assert.Equal(finds, _presence.Finds);
    }

    [Fact]
    public async Task A_senders_next_message_issues_its_append_while_the_previous_append_is_still_waiting_for_its_reply()
    {
        _store.HoldAppends();

        var first = Router.SendAsync("seas", "columbia", "first").AsTask();
        var second = Router.SendAsync("seas", "columbia", "second").AsTask();

        // Pipelined: both appends are out before the first reply comes back, and they keep the sender's order.
        Assert.Equal(2, _store.Appends);
        Assert.False(first.IsCompleted);
        await _store.ReleaseAppendsAsync();
        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["first", "second"], (await _store.ReadAsync("columbia", 0, 10)).Select(m => m.Message.Text));
    }
}
