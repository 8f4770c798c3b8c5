using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP;

/// <summary>
/// Step 4: the access token, validated by the configured <see cref="DPoPOptions.TokenHandler"/> with the scheme's
/// token validation parameters (or found in the validated-token cache), its failures said in words a client developer
/// can act on, and its <c>cnf.jkt</c> read (RFC 9449 §6.1).
/// </summary>
internal static class AccessTokenValidator
{
    public static async ValueTask<AccessTokenResult> ValidateAsync(HttpContext context, DPoPOptions options, DPoPSchemeState state, ILogger logger, ReadOnlyMemory<char> tokenText)
    {
        // The issuer's metadata and keys first: when they cannot be fetched and none are cached, no token can be judged,
        // and saying the token is bad would make clients throw away good tokens (issue 11 item 5).
        object? keysVersion = state.ConfiguredKeys;
        if (options.ConfigurationManager is { } manager)
        {
            try
            {
                keysVersion = await manager.GetConfigurationAsync(context.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
            {
                DPoPLog.IssuerMetadataUnavailable(logger, options.MetadataAddress ?? options.Authority ?? "(configured manager)", context.TraceIdentifier, ex);
                return AccessTokenResult.Invalid(new(DPoPFailureCode.IssuerUnavailable, FormattableString.Invariant(
                    $"This API cannot reach its token issuer's metadata and signing keys right now, so it cannot check access tokens; retry in {options.ReplayCheckRetryAfter.TotalSeconds:0} s with the same token.")), ex);
            }
        }

        var cache = state.TokenCache;
        if (cache is not null && keysVersion is not null && cache.TryGet(tokenText.Span, keysVersion, out var cached))
        {
            return AccessTokenResult.Valid(cached, fromCache: true);
        }

        // The token handler takes a string: made here, on a cache miss only (a slice of a whole string is that string).
        string token = tokenText.ToString();

        TokenValidationResult result;
        try
        {
            result = await options.TokenHandler.ValidateTokenAsync(token, state.TokenValidationParameters()).ConfigureAwait(false);
            if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException &&
                options.RefreshOnIssuerKeyNotFound && options.ConfigurationManager is not null)
            {
                // The issuer may have rotated its signing key: refresh the metadata in the background
                // (at most once per RefreshInterval), so the next request with the new kid is accepted.
                options.ConfigurationManager.RequestRefresh();
                DPoPLog.IssuerKeyRefreshRequested(logger);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            DPoPLog.TokenValidationFailed(logger, context.TraceIdentifier, ex);
            return AccessTokenResult.Invalid(new(DPoPFailureCode.TokenInvalid, "The access token could not be validated."), ex);
        }

        if (!result.IsValid)
        {
            if (result.Exception is not null)
            {
                DPoPLog.TokenValidationFailed(logger, context.TraceIdentifier, result.Exception);
            }

            var failure = Describe(result.Exception, token, options);
            if (result.Exception is SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException or SecurityTokenInvalidAlgorithmException &&
                TokenSigningFailure.Describe(TryRead(token), await CurrentConfigurationAsync(context, options).ConfigureAwait(false), options.TokenValidationParameters) is { } why)
            {
                // An algorithm or key type this API does not support, said as such rather than "unknown kid".
                failure = new(DPoPFailureCode.TokenInvalid, why);
            }

            return AccessTokenResult.Invalid(failure, result.Exception);
        }

        string? jkt = TokenConfirmation.ReadThumbprint(result.SecurityToken, out var confirmationFailure);
        // The principal's jkt is the thumbprint the request proved, never the token's own (issue 11 item 16): removed
        // here once, so a cached token's identity never has one.
        var identity = result.ClaimsIdentity;
        DPoPBinding.RemoveJktClaims(identity);
        var validated = new ValidatedToken(identity, result.SecurityToken, jkt, confirmationFailure);
        if (cache is not null && keysVersion is not null)
        {
            cache.Add(token, validated, new DateTimeOffset(result.SecurityToken.ValidTo, TimeSpan.Zero), keysVersion);
        }

        return AccessTokenResult.Valid(validated);
    }

    private static async ValueTask<BaseConfiguration?> CurrentConfigurationAsync(HttpContext context, DPoPOptions options)
    {
        if (options.ConfigurationManager is not { } manager)
        {
            return null;
        }

        try
        {
            return await manager.GetConfigurationAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return null;
        }
    }

    private static DPoPFailure Describe(Exception? exception, string token, DPoPOptions options)
    {
        var parameters = options.TokenValidationParameters;
        return exception switch
        {
            SecurityTokenExpiredException expired => new(DPoPFailureCode.TokenExpired, FormattableString.Invariant(
                $"The access token expired at {expired.Expires:yyyy-MM-dd'T'HH:mm:ss'Z'}; get a new one.")),
            SecurityTokenNotYetValidException notYet => new(DPoPFailureCode.TokenExpired, FormattableString.Invariant(
                $"The access token is not valid before {notYet.NotBefore:yyyy-MM-dd'T'HH:mm:ss'Z'}; check the issuer's and this server's clocks.")),
            SecurityTokenInvalidLifetimeException => new(DPoPFailureCode.TokenExpired, "The access token's lifetime is invalid (nbf is after exp)."),
            SecurityTokenNoExpirationException => new(DPoPFailureCode.TokenInvalid, "The access token has no exp claim; only tokens that expire are accepted."),
            // The configured audiences are not quoted: they are this API's configuration, not the caller's business.
            SecurityTokenInvalidAudienceException when string.IsNullOrWhiteSpace(ReadAudience(token)) => new(DPoPFailureCode.TokenInvalid,
                "The access token has no audience (aud); this API expects an audience it is configured for; ask for a token for this API."),
            SecurityTokenInvalidAudienceException => new(DPoPFailureCode.TokenInvalid,
                $"The access token's audience (aud {QuotedValue.ForDetail(ReadAudience(token))}) is not one this API accepts; ask the authorization server for a token for this API."),
            SecurityTokenInvalidIssuerException => new(DPoPFailureCode.TokenInvalid,
                $"The access token's issuer (iss '{QuotedValue.ForDetail(ReadClaim(token, "iss"))}') is not trusted by this API."),
            SecurityTokenSignatureKeyNotFoundException when string.IsNullOrEmpty(ReadHeader(token, "kid")) => new(DPoPFailureCode.TokenInvalid,
                "The access token names no key (no kid) and none of the issuer's keys verifies its signature."),
            SecurityTokenSignatureKeyNotFoundException => new(DPoPFailureCode.TokenInvalid,
                "The access token is signed with a key the issuer does not publish (unknown kid)."),
            SecurityTokenInvalidSigningKeyException => new(DPoPFailureCode.TokenInvalid,
                $"The access token is signed with a key this API does not accept for its issuer (iss '{QuotedValue.ForDetail(ReadClaim(token, "iss"))}')."),
            SecurityTokenInvalidSignatureException => new(DPoPFailureCode.TokenInvalid, "The access token's signature is invalid."),
            SecurityTokenInvalidTypeException => new(DPoPFailureCode.TokenInvalid,
                $"The access token's typ '{QuotedValue.ForDetail(ReadHeader(token, "typ"))}' is not an access token type (accepted: {string.Join(", ", parameters.ValidTypes ?? [])})."),
            SecurityTokenInvalidAlgorithmException => new(DPoPFailureCode.TokenInvalid, "The access token is signed with an algorithm this API does not accept."),
            SecurityTokenMalformedException or ArgumentException => new(DPoPFailureCode.TokenInvalid,
                "The access token is not a well-formed JWT (three base64url parts: header, payload, signature)."),
            // An unreachable issuer is answered before validation (503); here the token itself is what failed.
            InvalidOperationException or IOException or HttpRequestException => new(DPoPFailureCode.TokenInvalid,
                "The access token could not be validated with the issuer's signing keys."),
            _ => new(DPoPFailureCode.TokenInvalid, "The access token is invalid."),
        };
    }

    // For a failure's detail only: the token's own value of a claim or header, read without validation.
    private static string? ReadClaim(string token, string name)
    {
        var jwt = TryRead(token);
        if (jwt is null)
        {
            return null;
        }

        if (jwt.TryGetPayloadValue(name, out string? single))
        {
            return single;
        }

        return jwt.TryGetPayloadValue(name, out IList<string>? list) && list is not null ? string.Join(' ', list) : null;
    }

    // aud as the token handler reads it (a string or an array of strings; null and [] are no audience at all), never
    // the string form of whatever object the payload reader returns.
    private static string? ReadAudience(string token)
    {
        try
        {
            return TryRead(token) is { } jwt ? string.Join(' ', jwt.Audiences.Where(a => !string.IsNullOrWhiteSpace(a))) : null;
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenException or JsonException or FormatException or InvalidOperationException)
        {
            return null; // an aud of another JSON type: described as no usable audience
        }
    }

    private static string? ReadHeader(string token, string name) =>
        TryRead(token) is { } jwt && jwt.TryGetHeaderValue(name, out string? value) ? value : null;

    private static JsonWebToken? TryRead(string token)
    {
        try
        {
            return new JsonWebToken(token);
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenException or JsonException or FormatException)
        {
            return null;
        }
    }
}
