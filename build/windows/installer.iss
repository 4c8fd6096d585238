; Inno Setup script for the Windows installer. Build the bundle first on Windows
; (python build\build.py), then compile this with Inno Setup 6: iscc build\windows\installer.iss
; It installs per user (no admin rights needed), adds Start menu and optional desktop shortcuts.
#define AppName "Bookkeeper Desktop"
; Pass the package's version: iscc /DAppVersion=0.1.0 build\windows\installer.iss
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define BundleDir "..\..\dist\bookkeeper-desktop"

[Setup]
AppId={{6C1B8E59-3A0D-4B7E-9C55-8E7A4F6B2D10}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Bookkeeper Desktop
DefaultDirName={localappdata}\Programs\Bookkeeper Desktop
DefaultGroupName={#AppName}
PrivilegesRequired=lowest
OutputDir=..\..\dist
OutputBaseFilename=BookkeeperDesktop-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\bookkeeper-desktop.ico
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
ArchitecturesInstallIn64BitMode=x64compatible

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\bookkeeper-desktop.exe"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\bookkeeper-desktop.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\bookkeeper-desktop.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
