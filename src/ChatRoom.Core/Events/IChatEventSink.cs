namespace ChatRoom.Events;

/// <summary>Receives every <see cref="ChatEvent"/> the core raises. Register as many as needed; each is called in turn.</summary>
public interface IChatEventSink
{
    /// <summary>Handles one event. Called on the thread that performed the operation: keep it quick and do not throw.</summary>
    void OnEvent(ChatEvent chatEvent);
}
