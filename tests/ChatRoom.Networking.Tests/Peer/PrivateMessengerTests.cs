using ChatRoom.Client;
using ChatRoom.Consent;
using ChatRoom.Messaging;
using ChatRoom.Peer;
using ChatRoom.Routing;
using ChatRoom.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;
using NSubstitute.ExceptionExtensions;
using Polly.Registry;

namespace ChatRoom.Networking.Tests.Peer;

public sealed class PrivateMessengerTests : IAsyncDisposable
{
    private static readonly MessageId ServerId = MessageId.New(TimeProvider.System);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly IPeerTransport _transport = Substitute.For<IPeerTransport>();
    private readonly IChatClient _server = Substitute.For<IChatClient>();
    private readonly SemaphoreSlim _attempts = new(0);
    private ServiceProvider? _services;

    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_message_the_peer_acknowledges_first_time_is_delivered_privately()
    {
        var messenger = Create();
        _transport.SendAsync(default!, default!, default).ReturnsForAnyArgs(Task.CompletedTask);

        var delivery = await messenger.SendAsync("columbia", "psst");

        Assert.Equal(PrivateRoute.Peer, delivery!.Route);
        await _transport.Received(1).SendAsync(Arg.Is<PeerRoute>(r => r.Port == 41000), Arg.Is<ChatMessage>(m => m.Text == "psst" && m.Kind == MessageKind.Private && m.From == "seas"), Arg.Any<CancellationToken>());
        await _server.DidNotReceiveWithAnyArgs().SendAsync(default!, default!, default);
    }

    [Fact]
    public async Task Retries_wait_for_the_exponential_backoff_and_a_later_success_is_private()
    {
        var messenger = Create(o =>
        {
            o.UseJitter = false;
            o.RetryDelay = TimeSpan.FromMilliseconds(200);
            o.MaxRetryAttempts = 3;
        });
        FailTimes(2);

        var sending = messenger.SendAsync("columbia", "psst");
        await NextAttemptAsync();

        // First retry after 200 ms, the second after 400 ms more: not a tick sooner.
        await AdvanceAndExpectNoAttemptAsync(TimeSpan.FromMilliseconds(199));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await NextAttemptAsync();
        await AdvanceAndExpectNoAttemptAsync(TimeSpan.FromMilliseconds(399));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await NextAttemptAsync();

        Assert.Equal(PrivateRoute.Peer, (await sending)!.Route);
        await _server.DidNotReceiveWithAnyArgs().SendAsync(default!, default!, default);
    }

    [Fact]
    public async Task When_retries_are_exhausted_the_message_goes_through_the_server()
    {
        var messenger = Create(o => o.RetryDelay = TimeSpan.Zero);
        FailTimes(int.MaxValue);
        _server.SendAsync("columbia", "psst", Arg.Any<CancellationToken>()).Returns(new SendReceipt(SendOutcome.StoredOffline, ServerId));

        var delivery = await messenger.SendAsync("columbia", "psst");

        Assert.Equal(new PrivateDelivery(PrivateRoute.Server, ServerId, new SendReceipt(SendOutcome.StoredOffline, ServerId)), delivery);
        await _transport.ReceivedWithAnyArgs(3).SendAsync(default!, default!, default);
    }

    [Fact]
    public async Task A_peer_that_never_acknowledges_times_out_and_the_message_falls_back()
    {
        var messenger = Create(o =>
        {
            o.MaxRetryAttempts = 0;
            o.AttemptTimeout = TimeSpan.FromSeconds(2);
        });
        _transport.SendAsync(default!, default!, default).ReturnsForAnyArgs(call =>
        {
            _attempts.Release();
            return Task.Delay(Timeout.Infinite, call.Arg<CancellationToken>());
        });
        _server.SendAsync("columbia", "psst", Arg.Any<CancellationToken>()).Returns(new SendReceipt(SendOutcome.Delivered, ServerId));

        var sending = messenger.SendAsync("columbia", "psst");
        await NextAttemptAsync();
        Assert.False(sending.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(PrivateRoute.Server, (await sending.WaitAsync(TestServer.Wait))!.Route);
    }

    [Fact]
    public async Task When_the_server_fails_too_the_send_fails_and_is_never_reported_as_delivered()
    {
        var messenger = Create(o => o.RetryDelay = TimeSpan.Zero);
        FailTimes(int.MaxValue);
        _server.SendAsync("columbia", "psst", Arg.Any<CancellationToken>()).ThrowsAsync(new ChatConnectionException("the connection is closed"));

        await Assert.ThrowsAsync<ChatConnectionException>(() => messenger.SendAsync("columbia", "psst"));
    }

    [Fact]
    public async Task Without_a_grant_nothing_is_sent_and_there_is_no_delivery()
    {
        var messenger = Create(grant: false);

        Assert.Null(await messenger.SendAsync("columbia", "psst"));
        await _transport.DidNotReceiveWithAnyArgs().SendAsync(default!, default!, default);
    }

    [Theory]
    [InlineData(nameof(PrivateDeliveryOptions.AttemptTimeout))]
    [InlineData(nameof(PrivateDeliveryOptions.MaxRetryAttempts))]
    [InlineData(nameof(PrivateDeliveryOptions.MaxRetryDelay))]
    public void Bad_delivery_options_fail_validation_naming_the_option(string name)
    {
        var services = new ServiceCollection().AddChatRoomPrivateDelivery(o =>
        {
            switch (name)
            {
                case nameof(PrivateDeliveryOptions.AttemptTimeout): o.AttemptTimeout = TimeSpan.Zero; break;
                case nameof(PrivateDeliveryOptions.MaxRetryAttempts): o.MaxRetryAttempts = -1; break;
                case nameof(PrivateDeliveryOptions.MaxRetryDelay): o.MaxRetryDelay = TimeSpan.FromMilliseconds(1); break;
            }
        });
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PrivateDeliveryOptions>>().Value);
        Assert.Contains(name, ex.Message, StringComparison.Ordinal);
    }

    private PrivateMessenger Create(Action<PrivateDeliveryOptions>? configure = null, bool grant = true)
    {
        _services = new ServiceCollection()
            .AddSingleton<TimeProvider>(_time)
            .AddChatRoomPrivateDelivery(configure)
            .BuildServiceProvider();
        var pipeline = _services.GetRequiredService<ResiliencePipelineProvider<string>>().GetPipeline<PrivateDelivery>(PrivateMessenger.PipelineKey);
        var messenger = new PrivateMessenger(_server, _transport, pipeline, listener: null, _time);
        if (grant)
        {
            messenger.Grant(new AddressGrantedNotice(new PeerGrant("seas", "columbia", new string('a', 32), _time.GetUtcNow().AddHours(1)), "127.0.0.1", 41000));
        }

        return messenger;
    }

    private void FailTimes(int failures)
    {
        var calls = 0;
        _transport.SendAsync(default!, default!, default).ReturnsForAnyArgs(_ =>
        {
            _attempts.Release();
            return ++calls <= failures ? Task.FromException(new PeerUnavailableException("connection refused")) : Task.CompletedTask;
        });
    }

    private async Task NextAttemptAsync() => Assert.True(await _attempts.WaitAsync(TestServer.Wait), "no attempt came");

    private async Task AdvanceAndExpectNoAttemptAsync(TimeSpan by)
    {
        _time.Advance(by);
        Assert.False(await _attempts.WaitAsync(TimeSpan.FromMilliseconds(50)), "an attempt came before its backoff delay");
    }
}
