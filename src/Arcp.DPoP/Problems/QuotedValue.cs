namespace Arcp.DPoP;

/// <summary>
/// Makes client-supplied values safe to quote in a problem detail or a <c>WWW-Authenticate</c> header.
/// </summary>
internal static class QuotedValue
{
    private const int MaxQuotedLength = 80;

    /// <summary>Printable ASCII only, at most 80 characters, so a value quoted back cannot forge a header or flood a log.</summary>
    public static string ForDetail(string? value)
    {
        if (value is null)
        {
            return string.Empty;
        }

        bool truncated = value.Length > MaxQuotedLength;
        ReadOnlySpan<char> span = truncated ? value.AsSpan(0, MaxQuotedLength) : value.AsSpan();
        bool clean = true;
        foreach (char c in span)
        {
            if (c < 0x20 || c > 0x7E || c == '"' || c == '\\')
            {
                clean = false;
                break;
            }
        }

        if (clean && !truncated)
        {
            return value;
        }

        return string.Create(span.Length + (truncated ? 3 : 0), (value, truncated), static (destination, state) =>
        {
            int length = state.truncated ? MaxQuotedLength : state.value.Length;
            for (int i = 0; i < length; i++)
            {
                char c = state.value[i];
                destination[i] = c < 0x20 || c > 0x7E || c == '"' || c == '\\' ? '?' : c;
            }

            if (state.truncated)
            {
                destination[length] = '.';
                destination[length + 1] = '.';
                destination[length + 2] = '.';
            }
        });
    }

    /// <summary>The characters RFC 6750 §3 allows in <c>error_description</c>: %x20-21 / %x23-5B / %x5D-7E.</summary>
    public static string ForHeader(string value)
    {
        value = value.Replace("§", "section ", StringComparison.Ordinal);
        foreach (char c in value)
        {
            if (c < 0x20 || c > 0x7E || c == '"' || c == '\\')
            {
                return string.Create(value.Length, value, static (destination, source) =>
                {
                    for (int i = 0; i < source.Length; i++)
                    {
                        char ch = source[i];
                        destination[i] = ch < 0x20 || ch > 0x7E || ch == '"' ? '\'' : ch == '\\' ? '/' : ch;
                    }
                });
            }
        }

        return value;
    }
}
