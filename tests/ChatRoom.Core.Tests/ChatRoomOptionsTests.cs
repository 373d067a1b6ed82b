using ChatRoom.Auth;
using ChatRoom.Offline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ChatRoom.Core.Tests;

public sealed class ChatRoomOptionsTests
{
    [Fact]
    public void The_defaults_are_valid_and_match_the_documented_values()
    {
        var options = new ChatRoomOptions();

        Assert.True(new ChatRoomOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal((3, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(30)), (options.MaxFailedLogins, options.LockoutDuration, options.ConsentTimeout));
        Assert.Equal((5_000, 16L * 1024 * 1024), (options.MaxMailboxMessages, options.MaxMailboxBytes));
    }

    [Theory]
    [InlineData(nameof(ChatRoomOptions.MaxFailedLogins))]
    [InlineData(nameof(ChatRoomOptions.LockoutDuration))]
    [InlineData(nameof(ChatRoomOptions.HeartbeatTimeout))]
    [InlineData(nameof(ChatRoomOptions.ConsentTimeout))]
    [InlineData(nameof(ChatRoomOptions.PeerGrantLifetime))]
    [InlineData(nameof(ChatRoomOptions.MaxMessageBytes))]
    [InlineData(nameof(ChatRoomOptions.MaxMailboxMessages))]
    [InlineData(nameof(ChatRoomOptions.MaxMailboxBytes))]
    public void A_bad_value_fails_validation_with_a_message_naming_it(string name)
    {
        using var core = CoreHarness.Create(o =>
        {
            switch (name)
            {
                case nameof(ChatRoomOptions.MaxFailedLogins): o.MaxFailedLogins = 0; break;
                case nameof(ChatRoomOptions.LockoutDuration): o.LockoutDuration = TimeSpan.Zero; break;
                case nameof(ChatRoomOptions.HeartbeatTimeout): o.HeartbeatTimeout = TimeSpan.FromSeconds(-1); break;
                case nameof(ChatRoomOptions.ConsentTimeout): o.ConsentTimeout = TimeSpan.Zero; break;
                case nameof(ChatRoomOptions.PeerGrantLifetime): o.PeerGrantLifetime = TimeSpan.Zero; break;
                case nameof(ChatRoomOptions.MaxMessageBytes): o.MaxMessageBytes = 0; break;
                case nameof(ChatRoomOptions.MaxMailboxMessages): o.MaxMailboxMessages = 0; break;
                case nameof(ChatRoomOptions.MaxMailboxBytes): o.MaxMailboxBytes = o.MaxMessageBytes - 1; break;
            }
        });

        var ex = Assert.Throws<OptionsValidationException>(() => core.Get<IOptions<ChatRoomOptions>>().Value);

        Assert.Contains(name, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_host_can_replace_a_store_before_adding_the_core()
    {
        var store = new InMemoryOfflineStore();
        using var core = CoreHarness.Create(services: s => s.AddSingleton<IOfflineStore>(store));

        Assert.Same(store, core.Get<IOfflineStore>());
    }

    [Fact]
    public void Credentials_can_come_from_a_file()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "seas summerisover\n");
            var services = new ServiceCollection().AddChatRoomCredentials(path);
            using var provider = services.BuildServiceProvider();

            Assert.IsType<InMemoryCredentialSource>(provider.GetRequiredService<ICredentialSource>());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
