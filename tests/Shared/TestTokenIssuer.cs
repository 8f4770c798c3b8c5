using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP.Testing;

/// <summary>
/// A test token issuer with an in-memory ES256 key, for tests that host their own API with
/// <c>TokenValidationParameters.IssuerSigningKey = issuer.SigningKey</c> (not the development issuer of Arcp.DPoP,
/// which the sample API uses; this was the sample's private issuer before it).
/// </summary>
public sealed class TestTokenIssuer : IDisposable
{
    /// <summary>The <c>iss</c> of the tokens it issues.</summary>
    public const string Issuer = "https://dev-issuer.arcp-dpop.invalid";

    private readonly ECDsa _key;
    private readonly JsonWebTokenHandler _handler = new();
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates the issuer with a fresh key.</summary>
    /// <param name="timeProvider">The clock for iat/exp.</param>
    public TestTokenIssuer(TimeProvider timeProvider)
        : this(ECDsa.Create(ECCurve.NamedCurves.nistP256), timeProvider, keyIdFromThumbprint: false)
    {
    }

    private TestTokenIssuer(ECDsa key, TimeProvider timeProvider, bool keyIdFromThumbprint)
    {
        _key = key;
        _timeProvider = timeProvider;
        var signingKey = new ECDsaSecurityKey(_key);

        // A key from a file gets its RFC 7638 thumbprint as kid, so every program reading the file agrees on it.
        signingKey.KeyId = keyIdFromThumbprint
            ? Base64UrlEncoder.Encode(signingKey.ComputeJwkThumbprint())
            : Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(8));
        SigningKey = signingKey;
    }

    /// <summary>Creates the issuer with the P-256 private key in a PEM file (PKCS#8 or SEC 1).</summary>
    /// <param name="path">The PEM file.</param>
    /// <param name="timeProvider">The clock for iat/exp.</param>
    public static TestTokenIssuer FromPemFile(string path, TimeProvider timeProvider)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(path));
            if (key.KeySize != 256)
            {
                throw new InvalidOperationException($"DevelopmentIssuer:KeyFile '{path}' is not a P-256 key.");
            }

            return new TestTokenIssuer(key, timeProvider, keyIdFromThumbprint: true);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>The public key the API validates tokens with.</summary>
    public SecurityKey SigningKey { get; }

    /// <summary>Issues an access token.</summary>
    /// <param name="subject">The <c>sub</c>: the agent's id.</param>
    /// <param name="audience">The <c>aud</c>.</param>
    /// <param name="jkt">The RFC 7638 thumbprint the token is bound to (<c>cnf.jkt</c>); <see langword="null"/> for an unbound bearer token.</param>
    /// <param name="lifetime">How long the token is valid.</param>
    /// <param name="scopes">The <c>scope</c> claim, space-separated, if any.</param>
    /// <param name="issuedAt">When the token is issued; now by default.</param>
    public string CreateToken(string subject, string audience, string? jkt, TimeSpan lifetime, string? scopes = null, DateTimeOffset? issuedAt = null)
    {
        var now = (issuedAt ?? _timeProvider.GetUtcNow()).UtcDateTime;
        var claims = new Dictionary<string, object>
        {
            ["sub"] = subject,
            ["jti"] = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16)),
            ["client_id"] = subject,
            ["role"] = "agent",
        };
        if (jkt is not null)
        {
            claims["cnf"] = new Dictionary<string, object> { ["jkt"] = jkt };
        }

        if (scopes is not null)
        {
            claims["scope"] = scopes;
        }

        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            TokenType = "at+jwt",
            Claims = claims,
            SigningCredentials = new SigningCredentials(SigningKey, SecurityAlgorithms.EcdsaSha256),
        });
    }

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();
}
