using System.Globalization;
using ChatRoom.Client;
using ChatRoom.Messaging;

namespace ChatRoom.Protocol.Commands;

/// <summary>
/// One client command, declared once: its row in the table (<see cref="Spec"/>), how its arguments are checked, and what
/// the server does with it. Commands the client SDK sends derive from <see cref="ChatCommand{TResult}"/>, which adds the
/// shape of the reply both ways.
/// </summary>
internal abstract class ChatCommand(VerbSpec spec)
{
    /// <summary>Its row in the command table.</summary>
    public VerbSpec Spec { get; } = spec;

    /// <summary>Its word on the wire.</summary>
    public string Name => Spec.Name;

    /// <summary>Checks parsed arguments (in table order, the text last) beyond their count; returns what is wrong, or null.</summary>
    public virtual string? Validate(IReadOnlyList<string> args) => null;

    /// <summary>Carries the command out against the core and says how to answer it. Login is checked before this is called.</summary>
    public abstract ValueTask<CommandOutcome> HandleAsync(CommandRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Reads <paramref name="reply"/> as this command's result, untyped, so tools that try every command (the property
    /// tests, the fuzzer) walk <see cref="CommandTable.All"/> instead of keeping a list; null for a command with no result.
    /// </summary>
    /// <exception cref="ChatProtocolException">An error this command has no result for, or a malformed reply.</exception>
    public virtual object? ReadReply(ReplyNotice reply) => null;

    /// <summary>A number as a field.</summary>
    protected static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A command whose reply the client SDK reads back into a <typeparamref name="TResult"/>.</summary>
/// <typeparam name="TResult">What the reply means, as the SDK returns it.</typeparam>
internal abstract class ChatCommand<TResult>(VerbSpec spec) : ChatCommand(spec)
{
    /// <summary>The server's reply saying <paramref name="result"/> to <paramref name="request"/>.</summary>
    public abstract ReplyNotice Encode(CommandRequest request, TResult result);

    /// <summary>The SDK's reading of the reply.</summary>
    /// <exception cref="ChatProtocolException">An error this command has no result for, or a malformed reply.</exception>
    public abstract TResult Decode(ReplyNotice reply);

    /// <summary>The SDK's reading of the reply: <see cref="Decode"/>, with a reply short of a field or with a bad number refused alike.</summary>
    /// <exception cref="ChatProtocolException">An error this command has no result for, or a malformed reply.</exception>
    public override object? ReadReply(ReplyNotice reply) => Read(reply);

    /// <summary>The SDK's reading of the reply, typed; see <see cref="ReadReply"/>.</summary>
    /// <exception cref="ChatProtocolException">An error this command has no result for, or a malformed reply.</exception>
    public TResult Read(ReplyNotice reply)
    {
        try
        {
            return Decode(reply);
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or IndexOutOfRangeException or FormatException or OverflowException)
        {
            // Decode reads fields by position; a server that sends fewer, or no number where one belongs, is malformed.
            throw new ChatProtocolException(ErrorCodes.BadArgument, $"malformed reply to {Name} from server: {reply.Head}");
        }
    }

    /// <summary>An error reply that has no typed result.</summary>
    protected static ChatProtocolException Unexpected(ReplyNotice reply) => new(reply.Head, $"{reply.Head}: {reply.Text}");

    /// <summary>A number field of a reply.</summary>
    protected static int ParseInt(string text) => int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>A message id field of a reply.</summary>
    /// <exception cref="ChatProtocolException">It is not a message id.</exception>
    protected static MessageId ParseId(string text)
        => MessageId.TryParse(text, out var id) ? id : throw new ChatProtocolException(ErrorCodes.BadArgument, $"bad message id '{text}' from server");
}

/// <summary>A command that either succeeds, answered <c>ok &lt;verb&gt;</c>, or fails with an error the SDK throws.</summary>
internal abstract class PlainCommand(VerbSpec spec) : ChatCommand<Done>(spec)
{
    /// <inheritdoc />
    public override ReplyNotice Encode(CommandRequest request, Done result) => ReplyNotice.Success(request.Tag, Name);

    /// <inheritdoc />
    public override Done Decode(ReplyNotice reply) => reply.Ok ? default : throw Unexpected(reply);
}

/// <summary>The result of a command that only succeeds or fails.</summary>
internal readonly record struct Done;
