namespace Arcp.DPoP.SampleAgent;

/// <summary>Prints the story's steps readably, in colour when the terminal has it (and NO_COLOR is not set).</summary>
public sealed class StoryWriter
{
    private readonly TextWriter _output;
    private readonly bool _color;
    private int _step;

    public StoryWriter(TextWriter output, bool color)
    {
        _output = output;
        _color = color;
    }

    public static bool TerminalHasColor() =>
        !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));

    public void Step(string title)
    {
        _output.WriteLine();
        _output.WriteLine(Paint($"{++_step}. {title}", "1;36"));
    }

    public void Info(string text) => _output.WriteLine("   " + text);

    public void Good(string text) => _output.WriteLine("   " + Paint("✔ " + text, "32"));

    public void Refused(string text) => _output.WriteLine("   " + Paint("✘ " + text, "33"));

    public void Bad(string text) => _output.WriteLine("   " + Paint("!! " + text, "1;31"));

    public void Block(string text)
    {
        foreach (string line in text.Split('\n'))
        {
            _output.WriteLine("     " + Paint(line.TrimEnd('\r'), "2"));
        }
    }

    private string Paint(string text, string code) => _color ? $"\u001b[{code}m{text}\u001b[0m" : text;
}
