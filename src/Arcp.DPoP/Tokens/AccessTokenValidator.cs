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
    public static async ValueTask<DPoPResult<ValidatedToken>> ValidateAsync(HttpContext context, DPoPOptions options, DPoPSchemeState state, ILogger logger, ReadOnlyMemory<char> tokenText)
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
                return DPoPFailures.IssuerUnavailable(options.ReplayCheckRetryAfter).WithCause(ex);
            }
        }

        var cache = state.TokenCache;
        if (cache is not null && keysVersion is not null && cache.TryGet(tokenText.Span, keysVersion, out var cached))
        {
            return DPoPResult<ValidatedToken>.Ok(cached);
        }

        TokenValidationResult result;
        var parameters = state.TokenValidationParameters();

        // The plain JsonWebTokenHandler reads the token from its slice of the Authorization header, without the string
        // overload's read step and its result (0.2 KB per request). The token's string is still made once: by the
        // handler itself while it validates (its replay validator takes one), or here where something else needs it
        // (another handler, a failure's detail, the token cache's key).
        string? token = null;
        var read = ReadFromHeader(options.TokenHandler, parameters, tokenText);
        try
        {
            result = read is not null
                ? await options.TokenHandler.ValidateTokenAsync(read, parameters).ConfigureAwait(false)
                : await options.TokenHandler.ValidateTokenAsync(token = tokenText.ToString(), parameters).ConfigureAwait(false);
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
            return DPoPFailures.TokenNotValidated.WithCause(ex);
        }

        if (!result.IsValid)
        {
            if (result.Exception is not null)
            {
                DPoPLog.TokenValidationFailed(logger, context.TraceIdentifier, result.Exception);
            }

            token ??= tokenText.ToString();
            var failure = Describe(result.Exception, token, options);
            if (result.Exception is SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException or SecurityTokenInvalidAlgorithmException &&
                TokenSigningFailure.Describe(TryRead(token), await CurrentConfigurationAsync(context, options).ConfigureAwait(false), options.TokenValidationParameters) is { } why)
            {
                // An algorithm or key type this API does not support, said as such rather than "unknown kid".
                failure = DPoPFailures.TokenSigning(why);
            }

            return failure.WithCause(result.Exception);
        }

        var confirmation = TokenConfirmation.ReadThumbprint(result.SecurityToken);
        // The principal's jkt is the thumbprint the request proved, never the token's own (issue 11 item 16): removed
        // here once, so a cached token's identity never has one.
        var identity = TokenClaimsIdentity.CanBuild(options.TokenHandler) ? TokenClaimsIdentity.Create(result, parameters) : result.ClaimsIdentity;
        DPoPBinding.RemoveJktClaims(identity);
        var validated = new ValidatedToken(identity, result.SecurityToken, confirmation.Value, confirmation.Failure);
        if (cache is not null && keysVersion is not null)
        {
            // The string the handler made of the token it read (EncodedToken keeps it), else a new one.
            cache.Add(token ?? read?.EncodedToken ?? tokenText.ToString(), validated, new DateTimeOffset(result.SecurityToken.ValidTo, TimeSpan.Zero), keysVersion);
        }

        return DPoPResult<ValidatedToken>.Ok(validated);
    }

    /// <summary>
    /// The token read from its slice of the header, for <see cref="JsonWebTokenHandler.ValidateTokenAsync(SecurityToken, TokenValidationParameters)"/>,
    /// when that gives exactly what the string overload would: the handler is <see cref="JsonWebTokenHandler"/> itself
    /// (a subclass may override the string overload), the parameters have no <see cref="TokenValidationParameters.TokenReader"/>,
    /// the token is within <see cref="TokenHandler.MaximumTokenSizeInBytes"/> and can be read. Null otherwise: the
    /// string overload then judges it, with its own checks and its own failure for a token it cannot read.
    /// </summary>
    private static JsonWebToken? ReadFromHeader(TokenHandler handler, TokenValidationParameters parameters, ReadOnlyMemory<char> tokenText)
    {
        if (handler.GetType() != typeof(JsonWebTokenHandler) || parameters.TokenReader is not null ||
            tokenText.IsEmpty || tokenText.Length > handler.MaximumTokenSizeInBytes)
        {
            return null;
        }

        try
        {
            return new JsonWebToken(tokenText);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Whatever it throws (the handler's own read catches everything too), the string overload judges the token.
            return null;
        }
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

    private static DPoPFailure Describe(Exception? exception, string token, DPoPOptions options) => exception switch
    {
        SecurityTokenExpiredException expired => DPoPFailures.TokenExpired(expired.Expires),
        SecurityTokenNotYetValidException notYet => DPoPFailures.TokenNotYetValid(notYet.NotBefore),
        SecurityTokenInvalidLifetimeException => DPoPFailures.TokenLifetimeInvalid,
        SecurityTokenNoExpirationException => DPoPFailures.TokenNoExpiration,
        SecurityTokenInvalidAudienceException when string.IsNullOrWhiteSpace(ReadAudience(token)) => DPoPFailures.TokenNoAudience,
        SecurityTokenInvalidAudienceException => DPoPFailures.TokenAudience(ReadAudience(token)),
        SecurityTokenInvalidIssuerException => DPoPFailures.TokenIssuer(ReadClaim(token, "iss")),
        SecurityTokenSignatureKeyNotFoundException when string.IsNullOrEmpty(ReadHeader(token, "kid")) => DPoPFailures.TokenNoKid,
        SecurityTokenSignatureKeyNotFoundException => DPoPFailures.TokenUnknownKid,
        SecurityTokenInvalidSigningKeyException => DPoPFailures.TokenKeyNotForIssuer(ReadClaim(token, "iss")),
        SecurityTokenInvalidSignatureException => DPoPFailures.TokenSignatureInvalid,
        SecurityTokenInvalidTypeException => DPoPFailures.TokenType(ReadHeader(token, "typ"), options.TokenValidationParameters.ValidTypes),
        SecurityTokenInvalidAlgorithmException => DPoPFailures.TokenAlgorithmNotAccepted,
        SecurityTokenMalformedException or ArgumentException => DPoPFailures.TokenMalformed,
        // An unreachable issuer is answered before validation (503); here the token itself is what failed.
        InvalidOperationException or IOException or HttpRequestException => DPoPFailures.TokenKeysUnusable,
        _ => DPoPFailures.TokenInvalid,
    };

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
