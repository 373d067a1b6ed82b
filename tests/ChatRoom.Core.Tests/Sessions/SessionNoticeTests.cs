using ChatRoom.Sessions;

namespace ChatRoom.Core.Tests.Sessions;

public sealed class SessionNoticeTests
{
    [Fact]
    public void A_shared_notice_is_encoded_once_however_many_ask()
    {
        var notice = new PresenceNotice("seas", true);
        var calls = 0;
        byte[] Encode(SessionNotice n)
        {
            Interlocked.Increment(ref calls);
            return [1, 2, 3];
        }

        var first = notice.GetEncoded(Encode);
        var results = new byte[100][];
        Parallel.For(0, results.Length, i => results[i] = notice.GetEncoded(Encode));

        Assert.Equal(1, calls);
        Assert.All(results, r => Assert.Same(first, r));
    }

    [Fact]
    public void The_kept_encoding_is_not_part_of_the_value_and_a_copy_does_not_inherit_it()
    {
        var notice = new PresenceNotice("seas", true);
        var bytes = notice.GetEncoded(_ => new byte[] { 1 });

        Assert.Equal(new PresenceNotice("seas", true), notice);
        Assert.Equal(new PresenceNotice("seas", true).GetHashCode(), notice.GetHashCode());
        Assert.NotEqual(new PresenceNotice("seas", false), notice);

        var changed = notice with { Online = false };
        Assert.NotSame(bytes, changed.GetEncoded(_ => new byte[] { 2 }));
    }
}
