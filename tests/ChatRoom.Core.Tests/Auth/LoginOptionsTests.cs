namespace ChatRoom.Core.Tests.Auth;

public sealed class LoginOptionsTests
{
    [Fact]
    public void The_login_defaults_are_the_documented_ones_and_valid()
    {
        var options = new ChatRoomOptions();

        Assert.True(new ChatRoomOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal(
            (50, TimeSpan.FromMinutes(15), 10, TimeSpan.FromSeconds(3), Math.Max(1, Environment.ProcessorCount / 2), 16),
            (options.MaxFailedLoginsPerAddress, options.FailedLoginWindow, options.AccountSlowdownAfter, options.AccountSlowdown, options.MaxConcurrentPasswordChecks, options.MaxPendingLoginsPerAddress));
    }

    [Theory]
    [InlineData(nameof(ChatRoomOptions.MaxFailedLoginsPerAddress))]
    [InlineData(nameof(ChatRoomOptions.FailedLoginWindow))]
    [InlineData(nameof(ChatRoomOptions.AccountSlowdownAfter))]
    [InlineData(nameof(ChatRoomOptions.AccountSlowdown))]
    [InlineData(nameof(ChatRoomOptions.MaxConcurrentPasswordChecks))]
    [InlineData(nameof(ChatRoomOptions.MaxPendingLoginsPerAddress))]
    public void A_bad_login_limit_fails_validation_naming_it(string name)
    {
        var options = new ChatRoomOptions();
        switch (name)
        {
            case nameof(ChatRoomOptions.MaxFailedLoginsPerAddress): options.MaxFailedLoginsPerAddress = 0; break;
            case nameof(ChatRoomOptions.FailedLoginWindow): options.FailedLoginWindow = TimeSpan.Zero; break;
            case nameof(ChatRoomOptions.AccountSlowdownAfter): options.AccountSlowdownAfter = 0; break;
            case nameof(ChatRoomOptions.AccountSlowdown): options.AccountSlowdown = TimeSpan.FromSeconds(-1); break;
            case nameof(ChatRoomOptions.MaxConcurrentPasswordChecks): options.MaxConcurrentPasswordChecks = 0; break;
            case nameof(ChatRoomOptions.MaxPendingLoginsPerAddress): options.MaxPendingLoginsPerAddress = 0; break;
        }

        var result = new ChatRoomOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(name, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_slowdown_longer_than_a_minute_is_refused_so_it_cannot_lock_the_owner_out()
    {
        var result = new ChatRoomOptionsValidator().Validate(null, new ChatRoomOptions { AccountSlowdown = TimeSpan.FromMinutes(2) });

        Assert.Contains("AccountSlowdown must be at most 60 s", result.FailureMessage, StringComparison.Ordinal);
    }
}
