using ChatRoom.Auth;

namespace ChatRoom.Networking.Tests.Apps;

public sealed class HashPasswordTests
{
    [Fact]
    public async Task Hash_password_reads_one_line_of_redirected_input_and_prints_a_line_the_server_accepts()
    {
        await using var app = AppProcess.Server("hash-password", "seas");
        await app.WriteLineAsync("summerisover");
        app.CloseInput();

        Assert.Equal(0, await app.WaitForExitAsync());
        var line = Assert.Single(app.Lines, l => l.StartsWith("seas ", StringComparison.Ordinal));
        Assert.DoesNotContain(app.Lines, l => l.Contains("summerisover", StringComparison.Ordinal));
        var source = CredentialFile.Parse(line + "\n", "pasted");
        Assert.Empty(source.PlaintextUsers);
        Assert.True(await source.VerifyAsync("seas", "summerisover"));
    }

    [Fact]
    public async Task A_server_refuses_a_credentials_file_that_is_not_UTF8_naming_the_line()
    {
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(path, [.. "seas summerisover\n"u8, .. "columbia caf"u8, 0xE9, (byte)'\n']);
            await using var server = AppProcess.Server("0", "--credentials", path);

            Assert.Equal(2, await server.WaitForExitAsync());
            Assert.Contains(server.Lines, l => l.Contains($"{path}:2: is not valid UTF-8", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
