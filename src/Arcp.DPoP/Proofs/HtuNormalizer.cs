using System.Text;

namespace Arcp.DPoP;

/// <summary>
/// Normalises an HTTP URI for the <c>htu</c> comparison of RFC 9449 §4.3 item 9: query and fragment
/// dropped, then RFC 3986 §6.2.2 syntax-based and §6.2.3 scheme-based normalisation.
/// </summary>
/// <remarks>
/// Scheme and host are lower-cased, a default port is removed, an empty path becomes <c>/</c>,
/// percent-encoded unreserved characters are decoded, other percent-encodings get upper-case hex digits,
/// and dot segments are removed. The path otherwise stays case-sensitive and <c>%2F</c> stays distinct
/// from <c>/</c>. Userinfo is refused: an <c>htu</c> carries no credentials.
/// </remarks>
public static class HtuNormalizer
{
    /// <summary>Normalises an absolute http or https URI.</summary>
    /// <param name="uri">The URI.</param>
    /// <param name="normalized">The normalised form, without query and fragment.</param>
    /// <param name="error">Why the URI cannot be normalised, when it cannot.</param>
    /// <returns><see langword="true"/> when <paramref name="uri"/> is an absolute http(s) URI.</returns>
    public static bool TryNormalize(string? uri, out string normalized, out string? error)
    {
        normalized = string.Empty;
        if (string.IsNullOrEmpty(uri))
        {
            error = "it is empty";
            return false;
        }

        if (IsAlreadyNormal(uri))
        {
            normalized = uri; // the common case: nothing to rewrite, nothing to allocate
            error = null;
            return true;
        }

        ReadOnlySpan<char> s = uri.AsSpan();
        int schemeEnd = s.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            error = "it is not an absolute URI (scheme://host/path)";
            return false;
        }

        string scheme;
        if (s[..schemeEnd].Equals("https", StringComparison.OrdinalIgnoreCase))
        {
            scheme = "https";
        }
        else if (s[..schemeEnd].Equals("http", StringComparison.OrdinalIgnoreCase))
        {
            scheme = "http";
        }
        else
        {
            error = "its scheme is not http or https";
            return false;
        }

        ReadOnlySpan<char> rest = s[(schemeEnd + 3)..];
        int authorityEnd = rest.IndexOfAny('/', '?', '#');
        ReadOnlySpan<char> authority = authorityEnd < 0 ? rest : rest[..authorityEnd];
        ReadOnlySpan<char> afterAuthority = authorityEnd < 0 ? [] : rest[authorityEnd..];
        int pathEnd = afterAuthority.IndexOfAny('?', '#');
        ReadOnlySpan<char> path = pathEnd < 0 ? afterAuthority : afterAuthority[..pathEnd];

        if (authority.Contains('@'))
        {
            error = "it contains userinfo";
            return false;
        }

        if (!TrySplitHostPort(authority, out ReadOnlySpan<char> host, out ReadOnlySpan<char> port, out error))
        {
            return false;
        }

        var builder = new StringBuilder(uri.Length + 8);
        builder.Append(scheme).Append("://");
        foreach (char c in host)
        {
            if (c <= ' ' || c >= 0x7F || c == '\\' || c == '%' || c == '"' || c == '<' || c == '>' || c == '^' || c == '`' || c == '{' || c == '|' || c == '}')
            {
                error = "its host has a character that is not allowed";
                return false;
            }

            builder.Append(char.ToLowerInvariant(c));
        }

        if (!port.IsEmpty)
        {
            if (port.Length > 5 || !int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int portNumber) || portNumber > 65535)
            {
                error = "its port is not a number from 0 to 65535";
                return false;
            }

            bool isDefault = (portNumber == 443 && scheme == "https") || (portNumber == 80 && scheme == "http");
            if (!isDefault)
            {
                builder.Append(':').Append(portNumber.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        if (!TryNormalizePath(path, out string normalizedPath, out error))
        {
            return false;
        }

        builder.Append(normalizedPath);
        normalized = builder.ToString();
        error = null;
        return true;
    }

    // "http(s)://" + lower-case host without port or with a non-default one + a path of plain path characters with no
    // '%' and no dot segment: exactly what TryNormalize would return, so it is returned as it is.
    internal static bool IsAlreadyNormal(ReadOnlySpan<char> uri)
    {
        int start = uri.StartsWith("https://", StringComparison.Ordinal) ? 8 : uri.StartsWith("http://", StringComparison.Ordinal) ? 7 : -1;
        if (start < 0)
        {
            return false;
        }

        int slash = uri[start..].IndexOf('/');
        int pathStart = slash < 0 ? -1 : start + slash;
        if (pathStart <= start)
        {
            return false;
        }

        for (int i = start; i < pathStart; i++)
        {
            char c = uri[i];
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-' || c == '.'))
            {
                return false; // upper case, a port, IPv6, userinfo...: the full path
            }
        }

        for (int i = pathStart; i < uri.Length; i++)
        {
            char c = uri[i];
            if (c == '.' ? (uri[i - 1] == '/' && (i + 1 == uri.Length || uri[i + 1] == '/' || uri[i + 1] == '.')) : !IsPathChar(c))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TrySplitHostPort(ReadOnlySpan<char> authority, out ReadOnlySpan<char> host, out ReadOnlySpan<char> port, out string? error)
    {
        host = authority;
        port = [];
        error = null;
        if (authority.IsEmpty)
        {
            error = "it has no host";
            return false;
        }

        if (authority[0] == '[')
        {
            // IP-literal (RFC 3986 §3.2.2).
            int close = authority.IndexOf(']');
            if (close < 0)
            {
                error = "its IPv6 host has no closing bracket";
                return false;
            }

            host = authority[..(close + 1)];
            ReadOnlySpan<char> after = authority[(close + 1)..];
            if (!after.IsEmpty)
            {
                if (after[0] != ':')
                {
                    error = "it has characters after its IPv6 host";
                    return false;
                }

                port = after[1..];
            }

            return true;
        }

        int colon = authority.LastIndexOf(':');
        if (colon >= 0)
        {
            host = authority[..colon];
            port = authority[(colon + 1)..];
        }

        if (host.IsEmpty)
        {
            error = "it has no host";
            return false;
        }

        return true;
    }

    private static bool TryNormalizePath(ReadOnlySpan<char> path, out string normalized, out string? error)
    {
        error = null;
        if (path.IsEmpty)
        {
            normalized = "/";
            return true;
        }

        var builder = new StringBuilder(path.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i < path.Length; i++)
        {
            char c = path[i];
            if (c == '%')
            {
                if (i + 2 >= path.Length || !IsHex(path[i + 1]) || !IsHex(path[i + 2]))
                {
                    error = "its path has a '%' that does not start a percent-encoding";
                    normalized = string.Empty;
                    return false;
                }

                char decoded = (char)((HexValue(path[i + 1]) << 4) | HexValue(path[i + 2]));
                if (IsUnreserved(decoded))
                {
                    builder.Append(decoded); // RFC 3986 §6.2.2.2
                }
                else
                {
                    builder.Append('%').Append(char.ToUpperInvariant(path[i + 1])).Append(char.ToUpperInvariant(path[i + 2]));
                }

                i += 2;
            }
            else if (IsPathChar(c))
            {
                builder.Append(c);
            }
            else
            {
                // A character a URI may not carry raw (space, non-ASCII...): compare its UTF-8 percent-encoding.
                int length = char.IsSurrogate(c) && i + 1 < path.Length
                    ? Encoding.UTF8.GetBytes(path.Slice(i++, 2), utf8)
                    : Encoding.UTF8.GetBytes(path.Slice(i, 1), utf8);
                for (int b = 0; b < length; b++)
                {
                    builder.Append('%').Append(utf8[b].ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
                }
            }
        }

        normalized = RemoveDotSegments(builder.ToString());
        return true;
    }

    // RFC 3986 §5.2.4.
    private static string RemoveDotSegments(string path)
    {
        if (!path.Contains('.', StringComparison.Ordinal))
        {
            return path;
        }

        var output = new List<string>();
        string[] segments = path.Split('/');
        for (int i = 1; i < segments.Length; i++)
        {
            string segment = segments[i];
            bool last = i == segments.Length - 1;
            if (segment == ".")
            {
                if (last)
                {
                    output.Add(string.Empty);
                }
            }
            else if (segment == "..")
            {
                if (output.Count > 0)
                {
                    output.RemoveAt(output.Count - 1);
                }

                if (last)
                {
                    output.Add(string.Empty);
                }
            }
            else
            {
                output.Add(segment);
            }
        }

        return "/" + string.Join('/', output);
    }

    private static bool IsUnreserved(char c) =>
        char.IsAsciiLetterOrDigit(c) || c == '-' || c == '.' || c == '_' || c == '~';

    // pchar / "/" (RFC 3986 §3.3): unreserved, sub-delims, ':' and '@'.
    private static bool IsPathChar(char c) =>
        IsUnreserved(c) || c == '/' || c == ':' || c == '@' || c == '!' || c == '$' || c == '&' || c == '\'' ||
        c == '(' || c == ')' || c == '*' || c == '+' || c == ',' || c == ';' || c == '=';

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
