using System.Text.Json;

namespace Arcp.DPoP.Tests;

/// <summary>The RFC 7638 / RFC 9449 test vectors shipped with the tests (Vectors/rfc9449.json).</summary>
internal static class Vectors
{
    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", "rfc9449.json"))));

    public static JsonElement Root => Document.Value.RootElement;

    public static TheoryData<string, string, string> Thumbprints()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var item in Root.GetProperty("thumbprints").EnumerateArray())
        {
            data.Add(item.GetProperty("source").GetString()!, item.GetProperty("jwk").GetRawText(), item.GetProperty("jkt").GetString()!);
        }

        return data;
    }

    public static TheoryData<int, string> Proofs()
    {
        var data = new TheoryData<int, string>();
        int index = 0;
        foreach (var item in Root.GetProperty("proofs").EnumerateArray())
        {
            data.Add(index++, item.GetProperty("source").GetString()!);
        }

        return data;
    }

    public static JsonElement Proof(int index) => Root.GetProperty("proofs")[index];

    public static TheoryData<string, string, bool, string> HtuComparisons()
    {
        var data = new TheoryData<string, string, bool, string>();
        foreach (var item in Root.GetProperty("htu_comparisons").EnumerateArray())
        {
            data.Add(
                item.GetProperty("request").GetString()!,
                item.GetProperty("htu").GetString()!,
                item.GetProperty("match").GetBoolean(),
                item.TryGetProperty("why", out var why) ? why.GetString()! : "identical");
        }

        return data;
    }
}
