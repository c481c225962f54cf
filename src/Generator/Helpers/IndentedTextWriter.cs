using System;
using System.Globalization;
using System.Text;

namespace ModelGen.Generator.Helpers;

/// <summary>Writes C# source with consistent indentation; <see cref="WriteBlock"/> opens a brace scope.</summary>
internal sealed class IndentedTextWriter
{
    private const string IndentUnit = "    ";
    private readonly StringBuilder _builder = new();
    private int _depth;

    public void WriteLine() => _builder.Append('\n');

    /// <summary>Writes one line (or several, each indented) at the current depth.</summary>
    public void WriteLine(string text)
    {
        foreach (var line in text.Replace("\r\n", "\n").Split('\n'))
        {
            if (line.Length > 0)
            {
                for (int i = 0; i < _depth; i++) _builder.Append(IndentUnit);
                _builder.Append(line);
            }
            _builder.Append('\n');
        }
    }

    /// <summary>Writes <paramref name="header"/>, an opening brace, and returns a scope that closes it.</summary>
    public Block WriteBlock(string header, string closing = "}")
    {
        WriteLine(header);
        WriteLine("{");
        _depth++;
        return new Block(this, closing);
    }

    public void Indent() => _depth++;

    public void Unindent() => _depth--;

    public override string ToString() => _builder.ToString();

    public readonly struct Block : IDisposable
    {
        private readonly IndentedTextWriter _writer;
        private readonly string _closing;

        public Block(IndentedTextWriter writer, string closing)
        {
            _writer = writer;
            _closing = closing;
        }

        public void Dispose()
        {
            _writer._depth--;
            _writer.WriteLine(_closing);
        }
    }
}

/// <summary>Formats numbers for source code, always with the invariant culture.</summary>
internal static class Literal
{
    public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A float literal that round-trips, for example <c>1E-05f</c>.</summary>
    public static string Float(double value)
    {
        string text = ((float)value).ToString("R", CultureInfo.InvariantCulture);
        int e = text.IndexOf('E');
        if (e >= 0)
        {
            // 1E-05 → 1e-5, as people write it.
            string exponent = text.Substring(e + 1);
            string sign = exponent.StartsWith("-", System.StringComparison.Ordinal) ? "-" : "";
            text = text.Substring(0, e) + "e" + sign + exponent.TrimStart('+', '-').TrimStart('0');
        }
        else if (text.IndexOf('.') < 0)
        {
            text += ".0";
        }
        return text + "f";
    }

    /// <summary>A count with digit grouping, for comments: 200_704.</summary>
    public static string Grouped(long value) => value.ToString("#,0", CultureInfo.InvariantCulture).Replace(",", "_");
}
