using System.IO.Pipelines;
using System.Text;
using BenchmarkDotNet.Attributes;
using ChatRoom.Protocol;

namespace ChatRoom.Benchmarks;

/// <summary>
/// The line framer as the read loop drives it: a pipe holding 1,000 lines (the 64-byte message line), read with
/// <see cref="LineReader"/>. Figures are per line. The pipe's 4 KiB segments make some lines straddle a seam, as on a socket.
/// </summary>
[MemoryDiagnoser]
public class FramerBenchmarks
{
    private const int Lines = 1_000;
    private readonly Pipe _pipe = new(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false));
    private byte[] _stream = [];

    [GlobalSetup]
    public void Setup() => _stream = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(Samples.MessageLine + "\r\n", Lines)));

    /// <summary>Frames every line and checks it is UTF-8; no string is made.</summary>
    [Benchmark(OperationsPerInvoke = Lines, Baseline = true)]
    public async Task<long> Frame_lines()
    {
        var reader = await FillAsync().ConfigureAwait(false);
        long bytes = 0;
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var line))
            {
                bytes += line.Bytes.Length;
            }
        }

        await reader.CompleteAsync().ConfigureAwait(false);
        _pipe.Reset();
        return bytes;
    }

    /// <summary>Frames every line and decodes it to a string, as the read loop did before the bytes parser.</summary>
    [Benchmark(OperationsPerInvoke = Lines)]
    public async Task<long> Frame_lines_and_decode_each_to_a_string()
    {
        var reader = await FillAsync().ConfigureAwait(false);
        long chars = 0;
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var line))
            {
                chars += line.GetString().Length;
            }
        }

        await reader.CompleteAsync().ConfigureAwait(false);
        _pipe.Reset();
        return chars;
    }

    // Both ends are completed by the end of each run, so the pipe is reset there and reused.
    private async ValueTask<LineReader> FillAsync()
    {
        await _pipe.Writer.WriteAsync(_stream).ConfigureAwait(false);
        await _pipe.Writer.CompleteAsync().ConfigureAwait(false);
        return new LineReader(_pipe.Reader, 8192);
    }
}
