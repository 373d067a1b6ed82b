using ChatRoom.Auth;
using ChatRoom.Events;
using Microsoft.Extensions.DependencyInjection;
using NSubstitute;

namespace ChatRoom.Core.Tests.Auth;

public sealed class AuthServiceTests : IDisposable
{
    private readonly CoreHarness _core = CoreHarness.Create();

    private IAuthService Auth => _core.Get<IAuthService>();

    public void Dispose() => _core.Dispose();

    [Fact]
    public async Task Right_credentials_log_in()
    {
        var result = await Auth.LoginAsync("seas", "summerisover", "10.0.0.1");

        Assert.Equal(new LoginSuccess("seas"), result);
        Assert.Equal("10.0.0.1", Assert.Single(_core.Events.OfType<LoginSucceeded>()).RemoteAddress);
    }

    [Fact]
    public async Task Surrounding_white_space_in_typed_input_is_ignored()
    {
        var result = await Auth.LoginAsync("  seas \t", " summerisover  ", "10.0.0.1");

        Assert.Equal(new LoginSuccess("seas"), result);
    }

    [Fact]
    public async Task Each_failure_reports_the_attempts_left()
    {
        Assert.Equal(new LoginInvalid(2), await Auth.LoginAsync("seas", "wrong", "a"));
        Assert.Equal(new LoginInvalid(1), await Auth.LoginAsync("seas", "wrong", "a"));
        Assert.Equal([2, 1], _core.Events.OfType<LoginFailed>().Select(e => e.AttemptsLeft));
    }

    [Fact]
    public async Task Third_failure_locks_the_user_for_the_block_time()
    {
        await Auth.LoginAsync("seas", "x", "a");
        await Auth.LoginAsync("seas", "x", "a");

        var third = await Auth.LoginAsync("seas", "x", "a");

        Assert.Equal(new LoginLocked(TimeSpan.FromSeconds(60)), third);
        Assert.Single(_core.Events.OfType<LoginLockedOut>());
    }

    [Fact]
    public async Task A_locked_user_is_refused_even_with_the_right_password_and_told_the_time_left()
    {
        await FailAsync("seas", 3);
        _core.Time.Advance(TimeSpan.FromSeconds(20));

        var result = await Auth.LoginAsync("seas", "summerisover", "a");

        Assert.Equal(new LoginLocked(TimeSpan.FromSeconds(40)), result);
    }

    [Fact]
    public async Task The_lock_ends_exactly_at_the_block_time()
    {
        await FailAsync("seas", 3);

        _core.Time.Advance(TimeSpan.FromSeconds(60) - TimeSpan.FromTicks(1));
        Assert.IsType<LoginLocked>(await Auth.LoginAsync("seas", "summerisover", "a"));

        _core.Time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(new LoginSuccess("seas"), await Auth.LoginAsync("seas", "summerisover", "a"));
    }

    [Fact]
    public async Task After_the_lock_ends_the_user_has_the_full_number_of_attempts_again()
    {
        await FailAsync("seas", 3);
        _core.Time.Advance(TimeSpan.FromSeconds(61));

        Assert.Equal(new LoginInvalid(2), await Auth.LoginAsync("seas", "x", "a"));
    }

    [Fact]
    public async Task A_success_between_failures_resets_the_count()
    {
        await FailAsync("seas", 2);
        await Auth.LoginAsync("seas", "summerisover", "a");

        Assert.Equal(new LoginInvalid(2), await Auth.LoginAsync("seas", "x", "a"));
        Assert.Equal(new LoginInvalid(1), await Auth.LoginAsync("seas", "x", "a"));
    }

    [Fact]
    public async Task The_lock_holds_only_for_the_address_that_failed()
    {
        await FailAsync("seas", 3);

        Assert.IsType<LoginLocked>(await Auth.LoginAsync("seas", "summerisover", "a"));
        Assert.Equal(new LoginSuccess("seas"), await Auth.LoginAsync("seas", "summerisover", "10.0.0.9"));
    }

    [Fact]
    public async Task Failures_from_different_addresses_do_not_add_up_to_a_lock()
    {
        await Auth.LoginAsync("seas", "x", "10.0.0.1");
        await Auth.LoginAsync("seas", "x", "10.0.0.2");

        Assert.Equal(new LoginInvalid(2), await Auth.LoginAsync("seas", "x", "10.0.0.3"));
    }

    [Fact]
    public async Task Failures_count_per_user_name()
    {
        await FailAsync("seas", 2);

        Assert.Equal(new LoginInvalid(2), await Auth.LoginAsync("columbia", "x", "a"));
        Assert.Equal(new LoginSuccess("seas"), await Auth.LoginAsync("seas", "summerisover", "a"));
    }

    [Fact]
    public async Task An_unknown_user_looks_like_a_wrong_password()
    {
        var unknown = await Auth.LoginAsync("nobody", "x", "a");
        var wrong = await Auth.LoginAsync("seas", "x", "a");

        Assert.Equal(wrong, unknown);
    }

    [Theory]
    [InlineData("")]
    [InlineData("two words")]
    public async Task A_malformed_user_name_is_a_failed_login(string user)
    {
        Assert.IsType<LoginInvalid>(await Auth.LoginAsync(user, "x", "a"));
    }

    [Fact]
    public async Task The_threshold_and_block_time_are_configurable()
    {
        using var core = CoreHarness.Create(o =>
        {
            o.MaxFailedLogins = 1;
            o.LockoutDuration = TimeSpan.FromSeconds(5);
        });

        Assert.Equal(new LoginLocked(TimeSpan.FromSeconds(5)), await core.Get<IAuthService>().LoginAsync("seas", "x", "a"));
    }

    [Fact]
    public async Task A_concurrent_update_makes_the_service_read_again_instead_of_losing_a_failure()
    {
        const string key = "from a seas";
        var store = Substitute.For<ILockoutStore>();
        store.GetAsync(default!, default).ReturnsForAnyArgs(LockoutState.Clear);
        store.GetAsync(key, Arg.Any<CancellationToken>()).Returns(LockoutState.Clear, new LockoutState(1, null));
        store.TryUpdateAsync(default!, default!, default!, default).ReturnsForAnyArgs(true);
        store.TryUpdateAsync(key, LockoutState.Clear, Arg.Any<LockoutState>(), Arg.Any<CancellationToken>()).Returns(false);
        using var core = CoreHarness.Create(services: s => s.AddSingleton(store));

        var result = await core.Get<IAuthService>().LoginAsync("seas", "x", "a");

        Assert.Equal(new LoginInvalid(1), result);
        await store.Received(1).TryUpdateAsync(key, new LockoutState(1, null), new LockoutState(2, null, CoreHarness.Start), Arg.Any<CancellationToken>());
    }

    private async Task FailAsync(string user, int times)
    {
        for (var i = 0; i < times; i++)
        {
            await Auth.LoginAsync(user, "wrong", "a");
        }
    }
}
