using System.Text.Json;

namespace Arcp.DPoP;

/// <summary>
/// The <c>jwk</c> JOSE header of a proof (RFC 9449 §4.2): the public key, read member by member.
/// </summary>
internal sealed class ProofJwk
{
    private static readonly string[] PrivateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

    public string? Kty { get; private set; }

    public string? Crv { get; private set; }

    public string? X { get; private set; }

    public string? Y { get; private set; }

    public string? N { get; private set; }

    public string? E { get; private set; }

    public string? Alg { get; private set; }

    /// <summary>The first private or symmetric member found (RFC 9449 §4.3 item 7: the key must be public).</summary>
    public string? PrivateMember { get; private set; }

    /// <summary>Reads the JWK object the reader is positioned on into <paramref name="header"/>; duplicate member names are refused.</summary>
    public static DPoPFailure? Read(ref Utf8JsonReader reader, ProofHeader header)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return DPoPFailures.JwkNotObject;
        }

        var jwk = new ProofJwk();
        var failure = JsonMembers.Read(ref reader, jwk, ReadMember, DPoPFailures.JwkMemberTwice);
        header.Jwk = failure is null ? jwk : null;
        return failure;
    }

    private static DPoPFailure? ReadMember(ref Utf8JsonReader reader, string name, ProofJwk jwk)
    {
        DPoPFailure? failure = null;
        switch (name)
        {
            case "kty": jwk.Kty = ReadString(ref reader, name, ref failure); break;
            case "crv": jwk.Crv = ReadString(ref reader, name, ref failure); break;
            case "x": jwk.X = ReadString(ref reader, name, ref failure); break;
            case "y": jwk.Y = ReadString(ref reader, name, ref failure); break;
            case "n": jwk.N = ReadString(ref reader, name, ref failure); break;
            case "e": jwk.E = ReadString(ref reader, name, ref failure); break;
            case "alg": jwk.Alg = ReadString(ref reader, name, ref failure); break;
            default:
                if (jwk.PrivateMember is null && Array.IndexOf(PrivateMembers, name) >= 0)
                {
                    jwk.PrivateMember = name;
                }

                reader.Skip();
                break;
        }

        return failure;
    }

    private static string? ReadString(ref Utf8JsonReader reader, string name, ref DPoPFailure? failure)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            failure = DPoPFailures.JwkMemberNotString(name);
            return null;
        }

        return reader.GetString();
    }
}
