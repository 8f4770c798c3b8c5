namespace Arcp.DPoP.SampleApi;

internal static partial class SampleLog
{
    [LoggerMessage(EventId = 1010, Level = LogLevel.Information,
        Message = "Try it in a browser (Development only): {Path} on this app's address gets a key, a development token and calls the API with a proof per request.")]
    public static partial void TryItPage(ILogger logger, string path);
}
