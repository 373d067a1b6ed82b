using ChatRoom.Server;
using Microsoft.Extensions.Time.Testing;

namespace ChatRoom.Networking.Tests.Server;

public sealed class StoreFailureLogTests
{
    [Fact]
    public void The_first_store_failure_is_logged_then_one_per_ten_seconds_with_the_count_of_the_rest()
    {
        var time = new FakeTimeProvider();
        var log = new StoreFailureLog(time);

        Assert.True(log.ShouldLog(out var first));
        Assert.Equal(0, first);
        for (var i = 0; i < 1000; i++)
        {
            Assert.False(log.ShouldLog(out _));
        }

        time.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromTicks(1));
        Assert.False(log.ShouldLog(out _));

        time.Advance(TimeSpan.FromTicks(1));
        Assert.True(log.ShouldLog(out var counted));
        Assert.Equal(1001, counted);
        Assert.False(log.ShouldLog(out _));
    }
}
