using System.Text;

namespace Arcp.DPoP.Client;

/// <summary>Reads one auth-param of a <c>WWW-Authenticate</c> challenge (RFC 9110 §11.2): token or quoted-string.</summary>
internal static class ChallengeParameters
{
    /// <summary>The value of <paramref name="name"/> in the first challenge of <paramref name="schemes"/> that has it.</summary>
    public static string? Find(HttpResponseMessage response, string name, params string[] schemes)
    {
        foreach (var challenge in response.Headers.WwwAuthenticate)
        {
            if (challenge.Parameter is { } parameters &&
                schemes.Any(s => string.Equals(s, challenge.Scheme, StringComparison.OrdinalIgnoreCase)) &&
                Find(parameters, name) is { } value)
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>The value of <paramref name="name"/> in a challenge's parameter list, or null (also when the list is malformed).</summary>
    public static string? Find(string parameters, string name)
    {
        int i = 0;
        while (i < parameters.Length)
        {
            while (i < parameters.Length && (parameters[i] is ' ' or '\t' or ','))
            {
                i++;
            }

            int nameStart = i;
            while (i < parameters.Length && parameters[i] is not ('=' or ' ' or '\t' or ','))
            {
                i++;
            }

            string current = parameters[nameStart..i];
            while (i < parameters.Length && parameters[i] is ' ' or '\t')
            {
                i++;
            }

            if (i >= parameters.Length || parameters[i] != '=')
            {
                return null; // a token68 or a malformed list: no auth-params to read
            }

            i++;
            while (i < parameters.Length && parameters[i] is ' ' or '\t')
            {
                i++;
            }

            string value;
            if (i < parameters.Length && parameters[i] == '"')
            {
                var text = new StringBuilder();
                i++;
                while (true)
                {
                    if (i >= parameters.Length)
                    {
                        return null; // unterminated quoted-string
                    }

                    char c = parameters[i++];
                    if (c == '"')
                    {
                        break;
                    }

                    if (c == '\\' && i < parameters.Length)
                    {
                        c = parameters[i++];
                    }

                    text.Append(c);
                }

                value = text.ToString();
            }
            else
            {
                int valueStart = i;
                while (i < parameters.Length && parameters[i] is not (',' or ' ' or '\t'))
                {
                    i++;
                }

                value = parameters[valueStart..i];
            }

            if (string.Equals(current, name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }
}
