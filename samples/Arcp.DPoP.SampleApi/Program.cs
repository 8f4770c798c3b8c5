using Arcp.DPoP.SampleApi;

var app = SampleApiApp.Build(args);
app.Run();

/// <summary>The sample's entry point, visible to WebApplicationFactory.</summary>
public partial class Program;
