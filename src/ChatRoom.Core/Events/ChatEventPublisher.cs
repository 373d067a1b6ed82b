using Microsoft.Extensions.Logging;

namespace ChatRoom.Events;

/// <summary>Fans events out to every registered <see cref="IChatEventSink"/>, so that one faulty sink cannot break an operation.</summary>
internal sealed partial class ChatEventPublisher
{
    private readonly IChatEventSink[] _sinks;
    private readonly ILogger _logger;

    public ChatEventPublisher(IEnumerable<IChatEventSink> sinks, ILogger<ChatEventPublisher> logger)
    {
        _sinks = [.. sinks];
        _logger = logger;
    }

    public bool HasSinks => _sinks.Length > 0;

    public void Publish(ChatEvent chatEvent)
    {
        foreach (var sink in _sinks)
        {
            try
            {
                sink.OnEvent(chatEvent);
            }
#pragma warning disable CA1031 // A sink's bug is logged, never allowed to undo the operation that raised the event.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogSinkFailed(_logger, ex, sink.GetType().Name, chatEvent.GetType().Name);
            }
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Event sink {Sink} failed on {Event}")]
    private static partial void LogSinkFailed(ILogger logger, Exception exception, string sink, string @event);
}
