using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP;

/// <summary>
/// The scheme's prepared token validation parameters when no code but Microsoft.IdentityModel's and this library's
/// ever sees them (issue 14): <see cref="Clone"/> returns the instance itself. <see cref="JsonWebTokenHandler"/> copies
/// the parameters it was given into every valid result (about 0.4 KB a request, for a claims identity the handler here
/// builds itself); nothing in it or in this library writes to that copy, so the copy is skipped.
/// </summary>
/// <remarks>
/// Used only when <see cref="IsSafe"/> holds: the plain <see cref="JsonWebTokenHandler"/> (a subclass receives the
/// parameters in its overrides) and plain <see cref="TokenValidationParameters"/> whose callbacks, which receive the
/// parameters, are all this library's own (the development issuer's, the lifetime check's). An application's callback
/// might copy the parameters to change the copy (<c>Clone()</c> then a setter): it then gets the ordinary parameters,
/// copied as before. With a configuration manager Microsoft.IdentityModel writes <c>RefreshBeforeValidation</c> and
/// <c>ValidateWithLKG</c> on the parameters it was given: each validation then gets its own <see cref="Copy"/>.
/// </remarks>
internal sealed class SharedTokenValidationParameters : TokenValidationParameters
{
    private SharedTokenValidationParameters(TokenValidationParameters other)
        : base(other)
    {
        IsClone = true;
    }

    /// <summary>The parameters to prepare for the scheme: shared when <see cref="IsSafe"/>, else a copy as before.</summary>
    public static TokenValidationParameters CopyOf(TokenValidationParameters parameters, TokenHandler handler) =>
        IsSafe(parameters, handler) ? new SharedTokenValidationParameters(parameters) : parameters.Clone();

    /// <summary>A copy of any parameters, this kind included (whose <see cref="Clone"/> is the instance itself).</summary>
    public static TokenValidationParameters Copy(TokenValidationParameters parameters) =>
        parameters is SharedTokenValidationParameters ? new SharedTokenValidationParameters(parameters) : parameters.Clone();

    /// <summary>Nobody writes to the parameters a validation was given, nor to its result's copy: no copy is made.</summary>
    public override TokenValidationParameters Clone() => this;

    /// <summary>
    /// Whether only Microsoft.IdentityModel's <see cref="JsonWebTokenHandler"/> and this library's code will ever see
    /// the parameters: every callback that is handed them is null or this assembly's.
    /// </summary>
    public static bool IsSafe(TokenValidationParameters parameters, TokenHandler handler) =>
        handler.GetType() == typeof(JsonWebTokenHandler) &&
        parameters.GetType() == typeof(TokenValidationParameters) &&
        IsOwn(parameters.AlgorithmValidator) &&
        IsOwn(parameters.AudienceValidator) &&
        IsOwn(parameters.IssuerSigningKeyResolver) &&
        IsOwn(parameters.IssuerSigningKeyResolverUsingConfiguration) &&
        IsOwn(parameters.IssuerSigningKeyValidator) &&
        IsOwn(parameters.IssuerSigningKeyValidatorUsingConfiguration) &&
        IsOwn(parameters.IssuerValidator) &&
        IsOwn(parameters.IssuerValidatorUsingConfiguration) &&
        IsOwn(parameters.LifetimeValidator) &&
        IsOwn(parameters.SignatureValidator) &&
        IsOwn(parameters.SignatureValidatorUsingConfiguration) &&
        IsOwn(parameters.TokenDecryptionKeyResolver) &&
        IsOwn(parameters.TokenReader) &&
        IsOwn(parameters.TokenReplayValidator) &&
        IsOwn(parameters.TransformBeforeSignatureValidation) &&
        IsOwn(parameters.TypeValidator);

    private static bool IsOwn(Delegate? callback)
    {
        if (callback is null)
        {
            return true;
        }

        foreach (var single in callback.GetInvocationList())
        {
            if (single.Method.Module.Assembly != typeof(SharedTokenValidationParameters).Assembly)
            {
                return false;
            }
        }

        return true;
    }
}
