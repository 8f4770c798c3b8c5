using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace JwtBearerApp;

/// <summary>
/// benchmarks/e2e's <c>bound</c> configuration (<c>Bound:ProofSignature=true</c>): plain JwtBearer plus the one piece of
/// work RFC 9449 adds that no implementation can skip, verifying the DPoP proof's signature (SHA-256 of its signing
/// input and one ES256 verification with the key its header carries), and nothing else: no <c>typ</c>, <c>htm</c>,
/// <c>htu</c>, <c>iat</c>, <c>ath</c>, binding or replay check. Every DPoP implementation does at least this much more
/// than JwtBearer per request, so this app's throughput over plain JwtBearer's is the highest DPoP/JwtBearer ratio any
/// of them can reach on the machine. It is a yardstick, not a DPoP implementation: it accepts replayed and unbound proofs.
/// </summary>
internal static class ProofSignatureOnly
{
    // The longest signing input verified (a proof is about 600 characters); longer ones are refused.
    private const int MaxSigningInput = 4096;

    // The key of the last header seen on this thread, imported once: as an implementation caches an agent's key.
    [ThreadStatic]
    private static string? t_header;

    [ThreadStatic]
    private static ECDsa? t_key;

    /// <summary>
    /// Answers a request to <c>/agents</c> with 401 unless its <c>DPoP</c> header is a compact JWS whose ES256 signature
    /// verifies (the other paths, e.g. the script's readiness check on <c>/</c>, go on).
    /// </summary>
    public static Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (!context.Request.Path.StartsWithSegments("/agents", StringComparison.Ordinal))
        {
            return next(context);
        }

        string? proof = context.Request.Headers["DPoP"];
        if (proof is null || !Verifies(proof))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Task.CompletedTask;
        }

        return next(context);
    }

    private static bool Verifies(string proof)
    {
        int first = proof.IndexOf('.', StringComparison.Ordinal);
        int last = proof.LastIndexOf('.');
        if (first <= 0 || last <= first || last > MaxSigningInput)
        {
            return false;
        }

        var header = proof.AsSpan(0, first);
        var key = t_key;
        if (key is null || !header.SequenceEqual(t_header))
        {
            key = Import(header);
            if (key is null)
            {
                return false;
            }

            t_key?.Dispose();
            t_key = key;
            t_header = header.ToString();
        }

        Span<byte> signature = stackalloc byte[64];
        if (!Base64Url.TryDecodeFromChars(proof.AsSpan(last + 1), signature, out int signatureLength) || signatureLength != 64)
        {
            return false;
        }

        Span<byte> signingInput = stackalloc byte[MaxSigningInput];
        int length = Encoding.ASCII.GetBytes(proof.AsSpan(0, last), signingInput);
        return key.VerifyData(signingInput[..length], signature, HashAlgorithmName.SHA256);
    }

    // The P-256 key of a header {"alg":"ES256","jwk":{"kty":"EC","crv":"P-256","x":..,"y":..}}; null for anything else.
    private static ECDsa? Import(ReadOnlySpan<char> header)
    {
        try
        {
            byte[] json = Base64Url.DecodeFromChars(header);
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.GetProperty("alg").GetString() != "ES256")
            {
                return null;
            }

            var jwk = root.GetProperty("jwk");
            if (jwk.GetProperty("kty").GetString() != "EC" || jwk.GetProperty("crv").GetString() != "P-256")
            {
                return null;
            }

            return ECDsa.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint
                {
                    X = Base64Url.DecodeFromChars(jwk.GetProperty("x").GetString() ?? ""),
                    Y = Base64Url.DecodeFromChars(jwk.GetProperty("y").GetString() ?? ""),
                },
            });
        }
        catch (Exception ex) when (ex is FormatException or JsonException or KeyNotFoundException or InvalidOperationException or CryptographicException)
        {
            return null;
        }
    }
}
