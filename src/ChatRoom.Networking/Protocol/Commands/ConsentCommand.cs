using ChatRoom.Consent;

namespace ChatRoom.Protocol.Commands;

/// <summary><c>consent &lt;user&gt; yes|no</c>: answered <c>ok consent &lt;user&gt; yes|no</c>, or <c>no-such-request</c>.</summary>
internal sealed class ConsentCommand() : ChatCommand<ConsentAnswerResult>(new VerbSpec(
    "consent", ["user", "yes|no"], [], TakesText: false, RequiresLogin: true, "answer someone's getaddress"))
{
    /// <summary>The answer as sent: yes or y, no or n (any case).</summary>
    public static string Format(bool allow) => allow ? "yes" : "no";

    /// <inheritdoc />
    public override string? Validate(IReadOnlyList<string> args) => ParseAnswer(args[1]) is null ? "the answer is yes or no" : null;

    /// <inheritdoc />
    public override async ValueTask<CommandOutcome> HandleAsync(CommandRequest request, CancellationToken cancellationToken)
    {
        var allow = ParseAnswer(request.Arg(1))!.Value;
        return Encode(request, await request.Services.Consent.AnswerAsync(request.Me.Info, request.Arg(0), allow, cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public override ReplyNotice Encode(CommandRequest request, ConsentAnswerResult result) => result == ConsentAnswerResult.Applied
        ? ReplyNotice.Success(request.Tag, Name, request.Arg(0), Format(ParseAnswer(request.Arg(1))!.Value))
        : ReplyNotice.Failure(request.Tag, ErrorCodes.NoSuchRequest, $"{request.Arg(0)} has no open question for you");

    /// <inheritdoc />
    public override ConsentAnswerResult Decode(ReplyNotice reply) => reply switch
    {
        { Ok: true } => ConsentAnswerResult.Applied,
        { Head: ErrorCodes.NoSuchRequest } => ConsentAnswerResult.NoSuchRequest,
        _ => throw Unexpected(reply),
    };

    private static bool? ParseAnswer(string text) => text.ToUpperInvariant() switch
    {
        "YES" or "Y" => true,
        "NO" or "N" => false,
        _ => null,
    };
}
