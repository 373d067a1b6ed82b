using ChatRoom.Blocking;
using ChatRoom.Events;

namespace ChatRoom.Core.Tests.Blocking;

public sealed class BlacklistServiceTests : IDisposable
{
    private readonly CoreHarness _core = CoreHarness.Create();

    private IBlacklistService Blacklist => _core.Get<IBlacklistService>();

    public void Dispose() => _core.Dispose();

    [Fact]
    public async Task Blocking_a_known_user_records_it_and_raises_an_event()
    {
        Assert.Equal(BlockResult.Blocked, await Blacklist.BlockAsync("seas", "columbia"));

        Assert.True(await Blacklist.HasBlockedAsync("seas", "columbia"));
        Assert.False(await Blacklist.HasBlockedAsync("columbia", "seas"));
        Assert.Equal(new UserBlocked(CoreHarness.Start, "seas", "columbia"), Assert.Single(_core.Events.OfType<UserBlocked>()));
    }

    [Fact]
    public async Task Blocking_oneself_unknown_users_and_repeats_are_told_apart()
    {
        Assert.Equal(BlockResult.CannotBlockSelf, await Blacklist.BlockAsync("seas", "seas"));
        Assert.Equal(BlockResult.UnknownUser, await Blacklist.BlockAsync("seas", "nobody"));
        await Blacklist.BlockAsync("seas", "columbia");
        Assert.Equal(BlockResult.AlreadyBlocked, await Blacklist.BlockAsync("seas", "columbia"));
        Assert.Single(_core.Events.OfType<UserBlocked>());
    }

    [Fact]
    public async Task Unblocking_removes_the_block()
    {
        await Blacklist.BlockAsync("seas", "columbia");

        Assert.Equal(UnblockResult.Unblocked, await Blacklist.UnblockAsync("seas", "columbia"));

        Assert.False(await Blacklist.HasBlockedAsync("seas", "columbia"));
        Assert.Single(_core.Events.OfType<UserUnblocked>());
    }

    [Fact]
    public async Task Unblocking_someone_not_blocked_is_its_own_error()
    {
        Assert.Equal(UnblockResult.NotBlocked, await Blacklist.UnblockAsync("seas", "columbia"));
        Assert.Empty(_core.Events.OfType<UserUnblocked>());
    }
}
