using ChatRoom.Auth;
using Microsoft.Extensions.Logging;

namespace ChatRoom.Core.Tests.Auth;

public sealed class PasswordHashTests
{
    // One hash for the whole class: each costs 600,000 iterations.
    private static readonly Lazy<string> s_seasHash = new(() => PasswordHash.Create("summerisover").ToString());

    private static string SeasHash => s_seasHash.Value;

    [Fact]
    public void A_hash_reads_back_from_its_text_and_checks_the_password()
    {
        Assert.StartsWith("pbkdf2-sha256$600000$", SeasHash, StringComparison.Ordinal);
        Assert.True(PasswordHash.TryParse(SeasHash, out var hash, out _));

        Assert.True(hash!.Verify("summerisover"));
        Assert.False(hash.Verify("summerisover!"));
    }

    [Fact]
    public void Two_hashes_of_one_password_differ_by_their_salt()
        => Assert.NotEqual(SeasHash, PasswordHash.Create("summerisover").ToString());

    [Fact]
    public async Task A_file_may_mix_hashed_and_plaintext_passwords()
    {
        var source = CredentialFile.Parse($"seas {SeasHash}\ncolumbia 116bway\n", "creds.txt");

        Assert.True(await source.VerifyAsync("seas", "summerisover"));
        Assert.False(await source.VerifyAsync("seas", SeasHash));
        Assert.True(await source.VerifyAsync("columbia", "116bway"));
        Assert.False(await source.VerifyAsync("nobody", "116bway"));
        Assert.Equal(["columbia"], source.PlaintextUsers);
    }

    [Fact]
    public void A_hash_with_fewer_than_600000_iterations_is_refused_naming_the_line()
    {
        var weak = $"pbkdf2-sha256$599999${Convert.ToBase64String(new byte[16])}${Convert.ToBase64String(new byte[32])}";

        var ex = Assert.Throws<CredentialFileException>(() => CredentialFile.Parse($"columbia 116bway\nseas {weak}\n", "creds.txt"));

        Assert.Equal(2, ex.Line);
        Assert.Contains("599999 iterations is too few", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(10_000_001)]
    [InlineData(2_000_000_000)]
    public void A_hash_with_more_than_10_million_iterations_is_refused_naming_the_line(int iterations)
    {
        // Every login pays the highest count in the file; the tester's 2,000,000,000 would take minutes per login.
        var absurd = $"pbkdf2-sha256${iterations}${Convert.ToBase64String(new byte[16])}${Convert.ToBase64String(new byte[32])}";

        var ex = Assert.Throws<CredentialFileException>(() => CredentialFile.Parse($"columbia 116bway\nseas {absurd}\n", "creds.txt"));

        Assert.Equal(2, ex.Line);
        Assert.Contains($"{iterations} iterations is too many", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ten_million_iterations_are_still_accepted()
        => Assert.True(PasswordHash.TryParse($"pbkdf2-sha256$10000000${Convert.ToBase64String(new byte[16])}${Convert.ToBase64String(new byte[32])}", out _, out _));

    [Fact]
    public void More_than_10_million_iterations_cannot_be_made()
        => Assert.Throws<ArgumentOutOfRangeException>(() => PasswordHash.Create("x", PasswordHash.MaxIterations + 1));

    [Theory]
    [InlineData("pbkdf2-sha256$600000$AAAA")]
    [InlineData("pbkdf2-sha256$lots$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("pbkdf2-sha256$600000$not base64$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("pbkdf2-sha256$600000$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    public void A_malformed_hash_is_refused_naming_the_line(string hash)
    {
        var ex = Assert.Throws<CredentialFileException>(() => CredentialFile.Parse($"seas {hash.Replace(' ', '_')}\n", "creds.txt"));

        Assert.Equal(1, ex.Line);
        Assert.Contains("hash of 'seas'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fewer_than_600000_iterations_cannot_be_made()
        => Assert.Throws<ArgumentOutOfRangeException>(() => PasswordHash.Create("x", 1000));

    [Fact]
    public void A_file_that_is_not_UTF8_is_refused_naming_the_line()
    {
        using var file = new TempFile([.. "seas summerisover\n"u8, .. "columbia caf"u8, 0xE9, (byte)'\n']);

        var ex = Assert.Throws<CredentialFileException>(() => CredentialFile.Load(file.Path));

        Assert.Equal(2, ex.Line);
        Assert.Contains("not valid UTF-8", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_UTF8_file_with_a_byte_order_mark_and_non_ASCII_passwords_loads()
    {
        using var file = new TempFile([.. "\uFEFFseas caf\u00e9\n"u8]);

        var source = CredentialFile.Load(file.Path);

        Assert.True(await source.VerifyAsync("seas", "caf\u00e9"));
    }

    [Fact]
    public void Plaintext_passwords_are_named_in_one_warning()
    {
        var source = CredentialFile.Parse($"seas {SeasHash}\ncolumbia 116bway\nfoobar passpass\n", "creds.txt");
        var logger = new ListLogger();

        CredentialFile.WarnAboutPlaintext(source, "creds.txt", logger);

        var line = Assert.Single(logger.Lines);
        Assert.Equal(LogLevel.Warning, line.Level);
        Assert.Contains("2 passwords in plaintext (columbia, foobar)", line.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_with_only_hashes_warns_about_nothing()
    {
        var logger = new ListLogger();

        CredentialFile.WarnAboutPlaintext(CredentialFile.Parse($"seas {SeasHash}\n", "creds.txt"), "creds.txt", logger);

        Assert.Empty(logger.Lines);
    }

    private sealed class TempFile : IDisposable
    {
        public TempFile(byte[] bytes)
        {
            Path = System.IO.Path.GetTempFileName();
            File.WriteAllBytes(Path, bytes);
        }

        public string Path { get; }

        public void Dispose() => File.Delete(Path);
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Text)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => Lines.Add((logLevel, formatter(state, exception)));
    }
}
