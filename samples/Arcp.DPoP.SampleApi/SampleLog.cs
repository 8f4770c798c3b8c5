namespace Arcp.DPoP.SampleApi;

internal static partial class SampleLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Warning,
        Message = "No issuer is configured (Authentication:Schemes:DPoP:Authority, MetadataAddress or SigningKeys) and the environment is Development: the DEVELOPMENT token issuer is on (POST /dev/token, in-memory key).")]
    public static partial void DevelopmentIssuerEnabled(ILogger logger);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Critical,
        Message = "No issuer is configured (Authentication:Schemes:DPoP:Authority, MetadataAddress or SigningKeys) and the environment is {Environment}: the development token issuer runs only in Development, so no token can be validated.")]
    public static partial void NoIssuerConfigured(ILogger logger, string environment);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information,
        Message = "Try it in a browser (Development only): {Path} on this app's address gets a key, a development token and calls the API with a proof per request.")]
    public static partial void TryItPage(ILogger logger, string path);
}
