using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Arcp.DPoP.Client;

/// <summary>
/// Makes DPoP proofs (RFC 9449 §4.2): <c>typ</c> <c>dpop+jwt</c>, the key's public <c>jwk</c>, a random <c>jti</c>,
/// <c>htm</c>, <c>htu</c> (the URI without query and fragment), <c>iat</c>, and, with an access token, <c>ath</c>;
/// with a server nonce, <c>nonce</c>.
/// </summary>
public sealed class DPoPProofFactory
{
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates a factory.</summary>
    /// <param name="timeProvider">The clock for <c>iat</c>; the system clock by default.</param>
    public DPoPProofFactory(TimeProvider? timeProvider = null)
    {
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Makes a proof for one request.</summary>
    /// <param name="key">The key to sign with; its public JWK goes into the header.</param>
    /// <param name="method">The request method, e.g. <c>POST</c>.</param>
    /// <param name="uri">The absolute request URI; query and fragment are left out of <c>htu</c>.</param>
    /// <param name="accessToken">The access token sent with the request, if any: adds <c>ath</c>.</param>
    /// <param name="nonce">The server's latest <c>DPoP-Nonce</c>, if it gave one.</param>
    /// <returns>The proof, for the <c>DPoP</c> request header.</returns>
    public string CreateProof(DPoPKey key, string method, Uri uri, string? accessToken = null, string? nonce = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.IsAbsoluteUri)
        {
            throw new ArgumentException("A DPoP proof needs the absolute request URI.", nameof(uri));
        }

        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("typ", "dpop+jwt");
            writer.WriteString("alg", key.Algorithm);
            writer.WritePropertyName("jwk");
            writer.WriteRawValue(key.PublicJwk, skipInputValidation: true);
            writer.WriteEndObject();
        }

        string header = Base64Url.EncodeToString(buffer.WrittenSpan);
        buffer.Clear();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("jti", Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)));
            writer.WriteString("htm", method);
            writer.WriteString("htu", GetHtu(uri));
            writer.WriteNumber("iat", _timeProvider.GetUtcNow().ToUnixTimeSeconds());
            if (accessToken is not null)
            {
                writer.WriteString("ath", ComputeAth(accessToken));
            }

            if (nonce is not null)
            {
                writer.WriteString("nonce", nonce);
            }

            writer.WriteEndObject();
        }

        string signingInput = header + "." + Base64Url.EncodeToString(buffer.WrittenSpan);
        byte[] signature = key.Sign(Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>
    /// The <c>htu</c> of a request URI: scheme, authority and path, without query and fragment (RFC 9449 §4.2).
    /// An internationalised host name is written in its IDNA (punycode) form, the form HTTP sends in <c>Host</c>
    /// and the server builds its expected <c>htu</c> from.
    /// </summary>
    /// <param name="uri">The absolute request URI.</param>
    public static string GetHtu(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.IsAbsoluteUri)
        {
            throw new ArgumentException("A DPoP proof needs the absolute request URI.", nameof(uri));
        }

        // Uri.GetComponents(Host) gives the Unicode form of an IDN host (bücher.example); the wire carries
        // xn--bcher-kva.example. IP literals keep their brackets (Host), only DNS names have an IDNA form.
        string host = uri.HostNameType == UriHostNameType.Dns ? uri.IdnHost : uri.Host;
        string authority = uri.IsDefaultPort ? host : host + ":" + uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return uri.Scheme + "://" + authority + uri.AbsolutePath;
    }

    /// <summary>The <c>ath</c> of an access token: base64url(SHA-256(ASCII(token))) (RFC 9449 §4.2).</summary>
    /// <param name="accessToken">The access token.</param>
    public static string ComputeAth(string accessToken)
    {
        ArgumentNullException.ThrowIfNull(accessToken);
        return Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));
    }
}
