using System.Diagnostics;
using ChatRoom.Consent;
using ChatRoom.Presence;

namespace ChatRoom.Storage.Redis.Tests.Cluster;

public sealed class RedisConsentDirectoryTests(RedisServer server) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private static readonly TimeSpan s_lifetime = TimeSpan.FromMinutes(1);
    private ClusterTestKit _kit = null!;

    public async Task InitializeAsync() => _kit = await ClusterTestKit.StartAsync(server);

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    [Fact]
    public async Task A_second_question_for_the_same_pair_is_refused_and_changes_nothing()
    {
        var consent = await _kit.ConsentAsync();
        var first = Question("ann", "bob");
        var second = Question("ann", "bob");

        Assert.True(await consent.TryAddAsync(first, s_lifetime));
        Assert.False(await consent.TryAddAsync(second, s_lifetime));

        Assert.False(await consent.TryRemoveAsync(second));
        Assert.Equal(first, await consent.TryTakeAsync("ann", "bob", first.Target.Id));
        Assert.True(await consent.TryAddAsync(Question("bob", "ann"), s_lifetime));
    }

    [Fact]
    public async Task Take_with_another_target_session_returns_null_and_leaves_the_question()
    {
        var consent = await _kit.ConsentAsync();
        var question = Question("ann", "bob");
        await consent.TryAddAsync(question, s_lifetime);

        Assert.Null(await consent.TryTakeAsync("ann", "bob", SessionId.New()));
        Assert.Null(await consent.TryTakeAsync("bob", "ann", question.Target.Id));
        Assert.Null(await consent.TryTakeAsync("ann", "carl", question.Target.Id));

        var taken = await consent.TryTakeAsync("ann", "bob", question.Target.Id);
        Assert.Equal(question, taken);
        Assert.Equal(question.Requester.LoginTime.Offset, taken!.Requester.LoginTime.Offset);
        Assert.Null(await consent.TryTakeAsync("ann", "bob", question.Target.Id));
        Assert.False(await consent.TryRemoveAsync(question));
        Assert.False(await _kit.Raw.KeyExistsAsync(_kit.Keys.Consent("ann", "bob")));
    }

    [Fact]
    public async Task Remove_removes_only_the_same_question()
    {
        var consent = await _kit.ConsentAsync();
        var old = Question("ann", "bob");
        await consent.TryAddAsync(old, s_lifetime);
        Assert.True(await consent.TryRemoveAsync(old));
        var later = Question("ann", "bob");
        await consent.TryAddAsync(later, s_lifetime);

        Assert.False(await consent.TryRemoveAsync(old));
        Assert.False(await consent.TryRemoveAsync(later with { Id = Guid.NewGuid() }));

        Assert.True(await consent.TryRemoveAsync(later));
        Assert.Null(await consent.TryTakeAsync("ann", "bob", later.Target.Id));
    }

    [Fact]
    public async Task A_question_is_forgotten_after_its_lifetime()
    {
        var consent = await _kit.ConsentAsync();
        var question = Question("ann", "bob");
        Assert.True(await consent.TryAddAsync(question, TimeSpan.FromMilliseconds(300)));
        var ttl = await _kit.Raw.KeyTimeToLiveAsync(_kit.Keys.Consent("ann", "bob"));
        Assert.InRange(ttl!.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(300));

        var waited = Stopwatch.StartNew();
        while (await _kit.Raw.KeyExistsAsync(_kit.Keys.Consent("ann", "bob")))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), "the question did not expire");
            await Task.Delay(20);
        }

        Assert.Null(await consent.TryTakeAsync("ann", "bob", question.Target.Id));
        Assert.True(await consent.TryAddAsync(Question("ann", "bob"), s_lifetime));
    }

    public static TheoryData<string, string, string, string> CollidingPairs() => new()
    {
        // Without the requester's length in the key, each pair would make the same key as the other.
        { "a}:b", "c", "a", "b}:c" },
        { "a}:consent:b", "x", "a", "b}:consent:x" },
        { "a", "b}:consent:1:{c}:d", "a}:consent:1:{c", "d" },
        { "1:{a", "b", "4", "a}:b" },
        { "", "}:x", "}:", "x" },
        { "{a}", "b", "{a", "}:b" },
    };

    [Theory]
    [MemberData(nameof(CollidingPairs))]
    public async Task Names_with_braces_and_colons_cannot_make_two_pairs_share_a_question(string requester1, string target1, string requester2, string target2)
    {
        var consent = await _kit.ConsentAsync();
        var first = Question(requester1, target1);
        var second = Question(requester2, target2);

        Assert.True(await consent.TryAddAsync(first, s_lifetime));
        Assert.True(await consent.TryAddAsync(second, s_lifetime));

        Assert.Null(await consent.TryTakeAsync(requester2, target2, first.Target.Id));
        Assert.Equal(first, await consent.TryTakeAsync(requester1, target1, first.Target.Id));
        Assert.Equal(second, await consent.TryTakeAsync(requester2, target2, second.Target.Id));
    }

    [Fact]
    public void No_two_pairs_of_short_names_over_a_hostile_alphabet_share_a_key()
    {
        var names = new List<string> { "" };
        for (var length = 1; length <= 3; length++)
        {
            names.AddRange(names.Where(n => n.Length == length - 1).SelectMany(static n => "a{}:1".Select(c => n + c)).ToList());
        }

        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var requester in names)
        {
            foreach (var target in names)
            {
                Assert.True(keys.Add(_kit.Keys.Consent(requester, target)!), $"{requester} -> {target}");
            }
        }

        Assert.Equal(names.Count * names.Count, keys.Count);
    }

    [Fact]
    public async Task A_question_that_cannot_be_read_is_a_store_error()
    {
        var consent = await _kit.ConsentAsync();
        var question = Question("ann", "bob");
        await consent.TryAddAsync(question, s_lifetime);
        await _kit.Raw.StringSetAsync(_kit.Keys.Consent("ann", "bob"), question.Target.Id.Value.ToString("N") + question.Id.ToString("N") + "{garbage");

        await Assert.ThrowsAsync<ChatStoreException>(async () => await consent.TryTakeAsync("ann", "bob", question.Target.Id));
    }

    [Fact]
    public async Task Every_method_fails_with_a_store_error_while_Redis_is_down()
    {
        await using var own = await RedisServer.StartAsync();
        await using var kit = await ClusterTestKit.StartAsync(own);
        var consent = await kit.ConsentAsync(TimeSpan.FromMilliseconds(500));
        var question = Question("ann", "bob");
        await consent.TryAddAsync(question, s_lifetime);
        own.Stop();

        foreach (var call in new Func<Task>[]
        {
            async () => await consent.TryAddAsync(Question("bob", "ann"), s_lifetime),
            async () => await consent.TryTakeAsync("ann", "bob", question.Target.Id),
            async () => await consent.TryRemoveAsync(question),
        })
        {
            var clock = Stopwatch.StartNew();
            await Assert.ThrowsAsync<ChatStoreException>(call);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        }
    }

    private ConsentQuestion Question(string requester, string target)
        => new(Guid.NewGuid(), ClusterCodecTests.FullSession() with { User = requester, Node = "node-a" }, _kit.NewSession(target, "node-b"));
}
