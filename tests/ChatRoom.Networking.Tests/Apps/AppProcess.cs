using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ChatRoom.Networking.Tests.Apps;

/// <summary>One of the console apps run as a real process with piped standard streams.</summary>
internal sealed partial class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly SemaphoreSlim _arrived = new(0);

    private readonly string _workingDirectory;

    private AppProcess(Process process, string workingDirectory, bool readOutput)
    {
        _process = process;
        _workingDirectory = workingDirectory;
        _process.OutputDataReceived += (_, e) => Add(e.Data);
        _process.ErrorDataReceived += (_, e) => Add(e.Data);
        if (readOutput)
        {
            _process.BeginOutputReadLine();
        }

        _process.BeginErrorReadLine();
    }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public int Id => _process.Id;

    /// <summary>Waits until <paramref name="count"/> lines matching <paramref name="match"/> have been printed; returns them. Scans each line once.</summary>
    public async Task<List<string>> WaitForLinesAsync(Func<string, bool> match, int count, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var found = new List<string>(count);
        var scanned = 0;
        while (true)
        {
            lock (_lines)
            {
                for (; scanned < _lines.Count && found.Count < count; scanned++)
                {
                    if (match(_lines[scanned]))
                    {
                        found.Add(_lines[scanned]);
                    }
                }
            }

            if (found.Count >= count)
            {
                return found;
            }

            try
            {
                await _arrived.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{found.Count} of {count} matching lines; last lines:\n{string.Join('\n', Lines.TakeLast(20))}");
            }
        }
    }

    public static AppProcess Server(params string[] args) => Start("ChatRoom.ServerApp", args);

    /// <summary>The server with at most <paramref name="openFiles"/> open files (<c>ulimit -n</c>), on a free port.</summary>
    public static async Task<(AppProcess Server, int Port)> StartServerWithFileLimitAsync(int openFiles, params string[] args)
    {
        var server = Start("ChatRoom.ServerApp", ["0", .. args], openFiles: openFiles);
        var line = await server.WaitForLineAsync(l => l.Contains("listening on", StringComparison.Ordinal));
        return (server, int.Parse(PortPattern().Match(line).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    public static AppProcess Client(params string[] args) => Start("ChatRoom.ClientApp", args);

    /// <summary>
    /// A client whose standard output nobody reads unless the test calls <see cref="ReadOutputLineAsync"/>: once the pipe's
    /// buffer is full, its writes block, as with a paused terminal. Standard error is still collected in <see cref="Lines"/>.
    /// </summary>
    public static AppProcess ClientWithUnreadOutput(params string[] args) => Start("ChatRoom.ClientApp", args, readOutput: false);

    /// <summary>Starts the server on a free port and returns it with the port it printed.</summary>
    public static Task<(AppProcess Server, int Port)> StartServerAsync(params string[] args) => StartServerOnAsync(0, args);

    /// <summary>Starts the server on <paramref name="port"/> (0 for a free one) and waits until it listens.</summary>
    public static async Task<(AppProcess Server, int Port)> StartServerOnAsync(int port, params string[] args)
    {
        var server = Server([port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. args]);
        var line = await server.WaitForLineAsync(l => l.Contains("listening on", StringComparison.Ordinal));
        return (server, int.Parse(PortPattern().Match(line).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    public async Task<string> WaitForLineAsync(Func<string, bool> match)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            if (Lines.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            try
            {
                await _arrived.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no matching line; output so far:\n{string.Join('\n', Lines)}");
            }
        }
    }

    /// <summary>Answers the client's Username: and Password: prompts for <paramref name="user"/>.</summary>
    public async Task TypeCredentialsAsync(string user)
    {
        await WriteLineAsync(user);
        await WriteLineAsync(TestServer.Passwords[user]);
    }

    /// <summary>Logs the client in as <paramref name="user"/> and waits for the welcome.</summary>
    public async Task LogInAsync(string user)
    {
        await TypeCredentialsAsync(user);
        await WaitForLineAsync(l => l.StartsWith($"welcome, {user}", StringComparison.Ordinal));
    }

    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>For <see cref="ClientWithUnreadOutput"/>: the next line of standard output, or null at its end.</summary>
    public async Task<string?> ReadOutputLineAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await _process.StandardOutput.ReadLineAsync(cts.Token);
    }

    /// <summary>For <see cref="ClientWithUnreadOutput"/>: reads standard output up to the first line matching <paramref name="match"/>.</summary>
    public async Task<string> ReadOutputUntilAsync(Func<string, bool> match)
    {
        var seen = new List<string>();
        while (await ReadOutputLineAsync() is { } line)
        {
            if (match(line))
            {
                return line;
            }

            seen.Add(line);
        }

        throw new InvalidOperationException($"output ended without a matching line; saw:\n{string.Join('\n', seen)}\nerrors:\n{string.Join('\n', Lines)}");
    }

    /// <summary>For <see cref="ClientWithUnreadOutput"/> after the process has ended: every line it wrote that is still unread.</summary>
    public async Task<IReadOnlyList<string>> ReadRestOfOutputAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var rest = await _process.StandardOutput.ReadToEndAsync(cts.Token);
        return rest.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public async Task<int> WaitForExitAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit(); // drains the output events
        return _process.ExitCode;
    }

    /// <summary>Sends SIGTERM, as a service manager or Ctrl-C would.</summary>
    public void Terminate() => Signal("-TERM");

    /// <summary>Stops the process (SIGSTOP): alive, connected, silent.</summary>
    public void Pause() => Signal("-STOP");

    /// <summary>Lets a paused process run again (SIGCONT).</summary>
    public void Resume() => Signal("-CONT");

    private void Signal(string signal)
    {
        using var kill = Process.Start("kill", [signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Kills the process at once, as <c>kill -9</c> would: no logout, no goodbye.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await KillAsync();
            _process.Dispose();
            try
            {
                Directory.Delete(_workingDirectory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temp folder left behind is harmless.
            }
        }
    }

    private int _disposed;

    private static AppProcess Start(string app, string[] args, bool readOutput = true, int? openFiles = null)
    {
        var info = new ProcessStartInfo(openFiles is null ? "dotnet" : "bash")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,

            // Each process gets its own folder, so its default data file is its own.
            WorkingDirectory = Directory.CreateTempSubdirectory("chatroom-app-").FullName,
        };
        if (openFiles is { } limit)
        {
            // bash -c 'ulimit -n N && exec dotnet app args...' N app args...: the limit binds the app and nothing else.
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add("ulimit -n \"$0\" && exec dotnet \"$@\"");
            info.ArgumentList.Add(limit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        info.ArgumentList.Add(AppPath(app));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return new AppProcess(Process.Start(info)!, info.WorkingDirectory, readOutput);
    }

    // tests/ChatRoom.Networking.Tests/bin/<Configuration>/net10.0/ → src/<app>/bin/<Configuration>/net10.0/<app>.dll
    private static string AppPath(string app)
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = output.Parent!.Name;
        var root = output.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(root, "src", app, "bin", configuration, output.Name, app + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"build {app} first", path);
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Add(line);
        }

        _arrived.Release();
    }

    [GeneratedRegex(@"127\.0\.0\.1:(\d+)")]
    private static partial Regex PortPattern();
}
