using Microsoft.Extensions.Hosting;

namespace ChatRoom.Server;

/// <summary>Runs the <see cref="ChatServer"/> for the lifetime of a generic host.</summary>
internal sealed class ChatServerHostedService(ChatServer server) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => server.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => server.StopAsync(cancellationToken);
}
