namespace PatrolHub.Hub.Hosting;

public sealed class HubOptions
{
    public const string Section = "Hub";

    /// <summary>Where the hub listens; https only.</summary>
    public string Url { get; set; } = "https://localhost:7443";

    /// <summary>Folder for the journal and the development PKI, relative to where the hub starts.</summary>
    public string DataPath { get; set; } = "data";

    /// <summary>Drive simulated mirrored pairs in every sector.</summary>
    public bool Demo { get; set; }

    /// <summary>Pairs per sector in demo mode.</summary>
    public int DemoPairs { get; set; } = 2;
}

public sealed class CertificateOptions
{
    public const string Section = "Hub:Certificates";

    /// <summary>The hub's certificate with key (PFX). Unset: the development PKI under DataPath/certs, created on first start.</summary>
    public string? Server { get; set; }

    /// <summary>The U.S. client CA certificate.</summary>
    public string? UsCa { get; set; }

    /// <summary>The Mexican client CA certificate.</summary>
    public string? MxCa { get; set; }
}

public sealed class OrleansOptions
{
    public const string Section = "Orleans";

    public int SiloPort { get; set; } = 11111;

    public int GatewayPort { get; set; } = 30000;
}
