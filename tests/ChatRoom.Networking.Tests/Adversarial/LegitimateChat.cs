using System.Diagnostics;
using ChatRoom.Client;
using ChatRoom.Routing;
using ChatRoom.Sessions;

namespace ChatRoom.Networking.Tests.Adversarial;

/// <summary>
/// Two ordinary users chatting over real TCP while an attack runs beside them: one sends a numbered message, the other
/// answers it, and each round trip is timed. What the suite asserts is that the pair never notices the attack: every
/// message accepted arrives, in order, and no round trip takes longer than a bound.
/// </summary>
internal sealed class LegitimateChat
{
    private readonly ChatClient _asker;
    private readonly Inbox _askerInbox;
    private readonly ChatClient _answerer;
    private readonly Inbox _answererInbox;
    private readonly string _askerName;
    private readonly string _answererName;
    private readonly List<TimeSpan> _roundTrips = [];
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    private LegitimateChat(ChatClient asker, Inbox askerInbox, string askerName, ChatClient answerer, Inbox answererInbox, string answererName)
    {
        _asker = asker;
        _askerInbox = askerInbox;
        _askerName = askerName;
        _answerer = answerer;
        _answererInbox = answererInbox;
        _answererName = answererName;
    }

    /// <summary>Round trips completed so far.</summary>
    public int Count
    {
        get
        {
            lock (_roundTrips)
            {
                return _roundTrips.Count;
            }
        }
    }

    /// <summary>The slowest round trip so far.</summary>
    public TimeSpan Slowest
    {
        get
        {
            lock (_roundTrips)
            {
                return _roundTrips.Count == 0 ? TimeSpan.Zero : _roundTrips.Max();
            }
        }
    }

    /// <summary>Logs both users in (before the attack starts) and starts chatting.</summary>
    public static async Task<LegitimateChat> StartAsync(TestServer server, string asker = "columbia", string answerer = "seas")
    {
        var (a, aInbox) = await server.LoginAsync(asker);
        var (b, bInbox) = await server.LoginAsync(answerer);
        var chat = new LegitimateChat(a, aInbox, asker, b, bInbox, answerer);
        chat._loop = Task.Run(chat.RunAsync);
        return chat;
    }

    /// <summary>Waits until at least <paramref name="count"/> more round trips have completed.</summary>
    public async Task WaitForRoundTripsAsync(int count)
    {
        var target = Count + count;
        using var timeout = new CancellationTokenSource(TestServer.Wait * 3);
        while (Count < target)
        {
            if (_loop!.IsCompleted)
            {
                await _loop;
                throw new InvalidOperationException("The legitimate chat stopped.");
            }

            await Task.WhenAny(_loop, Task.Delay(10, timeout.Token));
        }
    }

    /// <summary>Stops chatting and checks that nothing was lost and no round trip exceeded <paramref name="bound"/>.</summary>
    public async Task StopAndAssertAsync(TimeSpan bound, int atLeast = 1)
    {
        await _stop.CancelAsync();
        await _loop!;
        Assert.True(Count >= atLeast, $"only {Count} round trips completed");
        Assert.True(Slowest <= bound, $"slowest round trip {Slowest.TotalMilliseconds:F0} ms, bound {bound.TotalMilliseconds:F0} ms ({Count} round trips)");

        // Every question and every answer arrived exactly once and in order: nothing accepted was lost.
        var questions = Texts(_answererInbox, _askerName, "question ");
        var answers = Texts(_askerInbox, _answererName, "answer ");
        Assert.Equal(Enumerable.Range(0, Count).Select(i => $"question {i}"), questions.Take(Count));
        Assert.Equal(Enumerable.Range(0, Count).Select(i => $"answer {i}"), answers.Take(Count));
    }

    private static List<string> Texts(Inbox inbox, string from, string prefix) =>
        [.. inbox.OfType<MessageNotice>().Select(n => n.Message).Where(m => m.From == from && m.Text.StartsWith(prefix, StringComparison.Ordinal)).Select(m => m.Text)];

    private async Task RunAsync()
    {
        for (var i = 0; !_stop.IsCancellationRequested; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var question = $"question {i}";
            var sent = await _asker.SendAsync(_answererName, question);
            Assert.Equal(SendOutcome.Delivered, sent.Outcome);
            await _answererInbox.WaitForAsync<MessageNotice>(n => n.Message.Text == question);
            var answer = $"answer {i}";
            Assert.Equal(SendOutcome.Delivered, (await _answerer.SendAsync(_askerName, answer)).Outcome);
            await _askerInbox.WaitForAsync<MessageNotice>(n => n.Message.Text == answer);
            lock (_roundTrips)
            {
                _roundTrips.Add(Stopwatch.GetElapsedTime(started));
            }

            // A person's pace, not a benchmark's: the pair must stay under any per-connection rate a test sets.
            try
            {
                await Task.Delay(10, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }
}
