using ChatRoom.Auth;

namespace ChatRoom.Core.Tests.Auth;

public sealed class CredentialFileTests
{
    [Fact]
    public async Task Pairs_are_read_one_a_line_with_blank_lines_comments_and_CRLF_allowed()
    {
        var source = CredentialFile.Parse("# users\r\ncolumbia 116bway\r\n\r\n  seas   summerisover  \r\n", "creds.txt");

        Assert.Equal(["columbia", "seas"], source.Users.Order());
        Assert.True(await source.VerifyAsync("seas", "summerisover"));
    }

    [Theory]
    [InlineData("columbia\n", 1)]
    [InlineData("columbia 116bway\nseas summer is over\n", 2)]
    public void A_malformed_line_names_the_file_and_line(string text, int line)
    {
        var ex = Assert.Throws<CredentialFileException>(() => CredentialFile.Parse(text, "creds.txt"));

        Assert.Equal(line, ex.Line);
        Assert.StartsWith($"creds.txt:{line}:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_duplicate_user_names_the_second_line()
    {
        var ex = Assert.Throws<CredentialFileException>(() => CredentialFile.Parse("seas a\n# x\nseas b\n", "creds.txt"));

        Assert.Equal(3, ex.Line);
        Assert.Contains("listed twice", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_with_no_users_is_an_error()
    {
        var ex = Assert.Throws<CredentialFileException>(() => CredentialFile.Parse("# nothing\n", "creds.txt"));

        Assert.Contains("no users", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_an_error_naming_it()
    {
        var path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.txt");

        var ex = Assert.Throws<CredentialFileException>(() => CredentialFile.Load(path));

        Assert.Equal(path, ex.Path);
        Assert.StartsWith(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_on_disk_loads()
    {
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(path, "foobar passpass\n");

            Assert.True(await CredentialFile.Load(path).ExistsAsync("foobar"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Verify_is_false_for_a_wrong_password_and_for_an_unknown_user()
    {
        var source = new InMemoryCredentialSource([new("seas", "summerisover")]);

        Assert.False(await source.VerifyAsync("seas", "summerisove"));
        Assert.False(await source.VerifyAsync("seas", "summerisover!"));
        Assert.False(await source.VerifyAsync("nobody", "summerisover"));
        Assert.False(await source.ExistsAsync("nobody"));
    }

    [Theory]
    [InlineData("two words", "p")]
    [InlineData(":colon", "p")]
    [InlineData("#hash", "p")]
    [InlineData("seas", "")]
    public void In_code_users_are_validated(string user, string password)
    {
        Assert.Throws<ArgumentException>(() => new InMemoryCredentialSource([new(user, password)]));
    }

    [Fact]
    public void In_code_users_may_not_repeat()
    {
        Assert.Throws<ArgumentException>(() => new InMemoryCredentialSource([new("seas", "a"), new("seas", "b")]));
    }
}
