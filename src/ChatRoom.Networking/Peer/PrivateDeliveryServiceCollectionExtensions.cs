using ChatRoom.Client;
using ChatRoom.Peer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Fallback;
using Polly.Retry;
using Polly.Timeout;

namespace ChatRoom;

/// <summary>Registers the private-message delivery pipeline.</summary>
public static class PrivateDeliveryServiceCollectionExtensions
{
    /// <summary>
    /// Registers, under <see cref="PrivateMessenger.PipelineKey"/>, the pipeline that delivers a private message: outermost a
    /// fallback that sends it through the server, then retries with exponential backoff and jitter, then a timeout per
    /// attempt. Its options are validated at start; time comes from the registered <see cref="TimeProvider"/>.
    /// </summary>
    public static IServiceCollection AddChatRoomPrivateDelivery(this IServiceCollection services, Action<PrivateDeliveryOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<PrivateDeliveryOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PrivateDeliveryOptions>, PrivateDeliveryOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddResiliencePipeline<string, PrivateDelivery>(PrivateMessenger.PipelineKey, (builder, context) =>
        {
            var settings = context.ServiceProvider.GetRequiredService<IOptions<PrivateDeliveryOptions>>().Value;
            Configure(builder, settings);
        });
        return services;
    }

    internal static void Configure(ResiliencePipelineBuilder<PrivateDelivery> builder, PrivateDeliveryOptions options)
    {
        // A peer that cannot be reached, refuses, or does not acknowledge in time: worth retrying, then falling back.
        static ValueTask<bool> PeerFailed(Outcome<PrivateDelivery> outcome)
            => ValueTask.FromResult(outcome.Exception is PeerUnavailableException or TimeoutRejectedException);

        builder.AddFallback(new FallbackStrategyOptions<PrivateDelivery>
        {
            ShouldHandle = args => PeerFailed(args.Outcome),
            FallbackAction = async args =>
            {
                var send = args.Context.Properties.GetValue(PrivateMessenger.SendKey, null!);
                var receipt = await send.Server.SendAsync(send.Route.Grant.Target, send.Message.Text, args.Context.CancellationToken).ConfigureAwait(false);
                return Outcome.FromResult(new PrivateDelivery(PrivateRoute.Server, receipt.MessageId ?? send.Message.Id, receipt));
            },
        });

        // Polly requires at least one retry; zero retries means no retry strategy at all.
        if (options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<PrivateDelivery>
            {
                ShouldHandle = args => PeerFailed(args.Outcome),
                MaxRetryAttempts = options.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = options.UseJitter,
                Delay = options.RetryDelay,
                MaxDelay = options.MaxRetryDelay,
            });
        }

        builder.AddTimeout(options.AttemptTimeout);
    }
}
