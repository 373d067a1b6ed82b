using System.Text;

namespace ChatRoom.ClientApp;

/// <summary>
/// Console input and output that keep incoming lines from garbling what is being typed: in a terminal, an incoming line
/// clears the prompt line, prints, and redraws the prompt with the text typed so far. With redirected input it reads plain lines.
/// </summary>
internal sealed class Terminal
{
    private const string Prompt = "> ";
    private readonly Lock _gate = new();
    private readonly StringBuilder _typed = new();
    private readonly bool _interactive = !Console.IsInputRedirected && !Console.IsOutputRedirected;
    private bool _editing;

    /// <summary>Writes <paramref name="line"/> and flushes it: when this returns, the line has left the process.</summary>
    public void WriteLine(string line)
    {
        lock (_gate)
        {
            if (_editing)
            {
                // Clear the prompt line, print above it, then put the prompt and the typed text back.
                Console.Write("\r\u001b[2K");
                Console.WriteLine(line);
                Console.Write(Prompt + _typed);
            }
            else
            {
                Console.WriteLine(line);
            }

            Console.Out.Flush();
        }
    }

    /// <summary>Reads one line; null at end of input.</summary>
    public string? ReadLine(bool secret = false)
    {
        if (!_interactive)
        {
            return Console.In.ReadLine();
        }

        lock (_gate)
        {
            _typed.Clear();
            _editing = !secret;
            if (_editing)
            {
                Console.Write(Prompt);
            }
        }

        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            lock (_gate)
            {
                switch (key.Key)
                {
                    case ConsoleKey.Enter:
                        _editing = false;
                        var line = _typed.ToString();
                        _typed.Clear();
                        Console.WriteLine();
                        return line;
                    case ConsoleKey.Backspace when _typed.Length > 0:
                        _typed.Length--;
                        if (!secret)
                        {
                            Console.Write("\b \b");
                        }

                        break;
                    case ConsoleKey.D when key.Modifiers.HasFlag(ConsoleModifiers.Control) && _typed.Length == 0:
                        _editing = false;
                        Console.WriteLine();
                        return null;
                    default:
                        if (!char.IsControl(key.KeyChar))
                        {
                            _typed.Append(key.KeyChar);
                            if (!secret)
                            {
                                Console.Write(key.KeyChar);
                            }
                        }

                        break;
                }
            }
        }
    }
}
