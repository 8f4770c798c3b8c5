using System.Buffers.Text;
using System.Text.Json;

namespace Arcp.DPoP.Client.Tests;

/// <summary>Reads claims of a proof the client made (no validation: the tests compare them).</summary>
internal static class ProofClaims
{
    public static string? Read(string proof, string claim)
    {
        string[] parts = proof.Split('.');
        using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
        return payload.RootElement.TryGetProperty(claim, out var value) ? value.GetString() : null;
    }

    public static string? Htu(string proof) => Read(proof, "htu");
}
