using ChatRoom.Auth;

namespace ChatRoom.ClientApp.Tests;

public sealed class LoginTextTests
{
    [Fact]
    public void A_slowdown_tells_the_person_how_long_to_wait()
        => Assert.Equal(
            "too many failed logins for seas from several places; try again in 3 s",
            ChatShell.Describe(new LoginRetryLater(TimeSpan.FromSeconds(2.5)), "seas"));

    [Fact]
    public void An_address_lock_says_it_is_the_address_not_the_name()
        => Assert.Equal(
            "too many failed logins from your address; try again in 900 s",
            ChatShell.Describe(new LoginAddressLocked(TimeSpan.FromMinutes(15)), "seas"));

    [Fact]
    public void A_login_the_server_could_not_count_says_to_try_later()
        => Assert.Equal("the server cannot check logins right now; try again later", ChatShell.Describe(new LoginUnavailable(), "seas"));
}
