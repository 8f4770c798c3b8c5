using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP.Tests;

/// <summary>
/// What access-token unit tests start from: an ES256 issuer key, options that trust it, tokens it signs, and step 4
/// (<see cref="AccessTokenValidator"/>) called as the handler calls it.
/// </summary>
public abstract class AccessTokenTestBase : IDisposable
{
    protected const string Issuer = "https://issuer.example";

    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public void Dispose()
    {
        _key.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Options for audience <c>arcp-api</c>, trusting <see cref="Issuer"/> and its key.</summary>
    protected DPoPOptions Options(TokenHandler? handler = null)
    {
        var options = new DPoPOptions { Audience = "arcp-api" };
        if (handler is not null)
        {
            options.TokenHandler = handler;
        }

        options.TokenValidationParameters.ValidIssuer = Issuer;
        options.TokenValidationParameters.IssuerSigningKey = new ECDsaSecurityKey(_key);
        return options;
    }

    /// <summary>The payload, a JSON object, signed with ES256 by the issuer's key.</summary>
    protected string Sign(string payload) =>
        new JsonWebTokenHandler().CreateToken(payload, new SigningCredentials(new ECDsaSecurityKey(_key), SecurityAlgorithms.EcdsaSha256));

    /// <summary>Step 4 as the handler calls it, the token a slice of a longer string or a whole one.</summary>
    private protected static ValueTask<DPoPResult<ValidatedToken>> ValidateAsync(DPoPOptions options, DPoPSchemeState state, ReadOnlyMemory<char> token) =>
        AccessTokenValidator.ValidateAsync(new DefaultHttpContext(), options, state, NullLogger.Instance, token);
}
