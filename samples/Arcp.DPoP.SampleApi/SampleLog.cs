namespace Arcp.DPoP.SampleApi;

internal static partial class SampleLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Warning,
        Message = "No Authentication:Schemes:DPoP:Authority is configured: the DEVELOPMENT token issuer is on (POST /dev/token, in-memory key). Never run it in production; set Authority to your authorization server.")]
    public static partial void DevelopmentIssuerEnabled(ILogger logger);
}
