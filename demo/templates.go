package demo

import "flowlens/models"

// The troubleshooting flows every demo tree is made from. Each template is a
// tree of nodes: questions the engineer answers, steps to carry out, and
// leaves that end the session with a typical outcome. Edges carry the answer
// that leads from a parent to a child. Branch weights say how often an
// answer is given; "hard" nodes are where engineers tend to give up, and
// their steps are rated less helpful.

// tnode is one node of a template.
type tnode struct {
	id, title, question string
	answer              string  // label of the edge from the parent
	kind                string  // question, step or solution
	outcome             string  // leaves: the outcome this leaf usually ends with
	weight              float64 // how often this branch is taken, relative to its siblings
	drop                float64 // probability that an engineer gives up at this node
	helpful             float64 // probability that a step rating of this node is "helpful"
	kids                []*tnode
}

func mk(id, title, question, kind string, kids []*tnode) *tnode {
	return &tnode{id: id, title: title, question: question, kind: kind, weight: 1, drop: 0.075, helpful: 0.82, kids: kids}
}

// ask is a node with a title and a question.
func ask(id, title, question string, kids ...*tnode) *tnode {
	return mk(id, title, question, "question", kids)
}

// q is a node with only a question (no title).
func q(id, question string, kids ...*tnode) *tnode { return mk(id, "", question, "question", kids) }

// step is an instruction with a title and no question.
func step(id, title string, kids ...*tnode) *tnode { return mk(id, title, "", "step", kids) }

// end is a leaf that usually ends the session with outcome.
func end(id, title string, outcome models.Outcome) *tnode {
	n := mk(id, title, "", "solution", nil)
	n.outcome = string(outcome)
	n.drop = 0.05
	return n
}

func fix(id, title string) *tnode      { return end(id, title, models.OutcomeResolved) }
func around(id, title string) *tnode   { return end(id, title, models.OutcomeWorkaround) }
func escalate(id, title string) *tnode { return end(id, title, models.OutcomeEscalated) }
func giveUp(id, title string) *tnode   { return end(id, title, models.OutcomeUnresolved) }

// on sets the answer that leads to n.
func (n *tnode) on(answer string) *tnode { n.answer = answer; return n }

// w sets the relative weight of the branch to n.
func (n *tnode) w(weight float64) *tnode { n.weight = weight; return n }

// hard marks n as a node where engineers often give up.
func (n *tnode) hard() *tnode { n.drop = 0.4; n.helpful = 0.46; return n }

// template is a named flow.
type template struct {
	name     string
	variants []string // suffixes of further trees made from the same flow
	root     *tnode
}

// templates returns the flows, in a fixed order.
func templates() []template {
	return []template{
		{"Printer offline", []string{"Floor 2", "Warehouse", "Reception", "Label printers"}, printerOffline()},
		{"VPN will not connect", []string{"Home office", "macOS", "Travel", "Contractors"}, vpn()},
		{"Email not syncing", []string{"Mobile", "Shared mailbox", "Outlook for Mac", "Webmail"}, email()},
		{"Laptop will not boot", []string{"Dell", "Lenovo", "MacBook", "Loaners"}, laptopBoot()},
		{"Wi-Fi keeps dropping", []string{"Guest network", "Meeting rooms", "Warehouse", "Home"}, wifi()},
		{"Account locked out", []string{"MFA reset", "Contractors", "Service accounts", "Kiosk"}, lockedOut()},
		{"Computer running slow", []string{"Windows", "macOS", "Developers", "Thin clients"}, slowComputer()},
		{"Shared drive not accessible", []string{"Finance", "Engineering", "Mapped drives", "SharePoint"}, sharedDrive()},
		{"No audio in video calls", []string{"Teams", "Zoom", "Headsets", "Meeting rooms"}, audio()},
		{"Second monitor not detected", []string{"Docking station", "USB-C", "Projectors", "Ultrawide"}, monitor()},
	}
}

func printerOffline() *tnode {
	return ask("start", "Printer offline", "What does the printer's display show?",
		ask("power", "Check power", "Does the printer switch on when you press the power button?",
			fix("reseat-power", "Reseat the power cable at both ends and switch the printer on").on("Yes, after reseating the cable").w(3),
			ask("outlet", "Test the wall outlet", "Does another device work from the same outlet?",
				fix("move-outlet", "Plug the printer into a working outlet").on("No, the outlet is dead").w(2),
				escalate("psu-failed", "Power supply failed: open a hardware ticket with the vendor").on("Yes, the outlet works"),
			).on("No, it stays dark"),
		).on("Nothing, it is dark"),
		ask("error-code", "Read the error on the display", "Which error does the display show?",
			ask("paper-jam", "Clear the paper jam", "Did the jam clear and the printer reset?",
				fix("jam-cleared", "Print a test page to confirm").on("Yes").w(3),
				step("fuser-door", "Open the rear fuser door and remove torn paper",
					fix("fuser-cleared", "Jam cleared at the fuser; print a test page").on("Cleared").w(2),
					escalate("fuser-damaged", "Fuser damaged: log a hardware ticket with the vendor").on("Paper is fused to the roller"),
				).on("No, the jam persists").hard(),
			).on("Paper jam").w(3),
			ask("toner", "Replace the toner cartridge", "Is a spare cartridge of the right model on site?",
				fix("toner-replaced", "Install the cartridge and remove the seal tape").on("Yes").w(3),
				around("toner-redirect", "Redirect the queue to the nearest printer and order toner").on("No"),
			).on("Toner low or empty").w(2),
			escalate("service-error", "Service error: power-cycle once, then log a vendor call with the code").on("A service or fuser error"),
		).on("An error message").w(2),
		ask("network", "Check the network connection", "Does the printer's network page show an IP address?",
			ask("no-ip", "Printer has no IP address", "Is the link light on the network port lit?",
				fix("replug-cable", "Replace the patch cable and renew the lease").on("No").w(2),
				step("switch-port", "Move the printer to a known-good switch port",
					fix("port-fixed", "Printer picked up an address on the new port").on("It gets an address").w(2),
					escalate("port-network", "Hand over to the network team with the switch and port").on("Still no address"),
				).on("Yes, the light is on").hard(),
			).on("No IP address"),
			ask("ping", "Ping the printer from the user's computer", "Does the printer answer the ping?",
				ask("queue", "Check the print queue", "Are jobs stuck in the queue?",
					fix("clear-queue", "Cancel all jobs and restart the print spooler").on("Yes, jobs are stuck").w(3),
					ask("driver", "Reinstall the printer driver", "Does a test page print after reinstalling the driver?",
						fix("driver-fixed", "Driver reinstalled; test page printed").on("Yes").w(3),
						around("driver-generic", "Install the generic PCL driver as a stopgap").on("No"),
					).on("No, the queue is empty").hard(),
				).on("Yes, it answers").w(3),
				ask("wrong-ip", "Compare the queue's port with the printer's IP", "Does the queue point at the printer's current address?",
					fix("update-port", "Update the queue's port to the current address").on("No, the address changed").w(3),
					giveUp("firewall", "Ping blocked somewhere; no fix found on site").on("Yes, it matches"),
				).on("No answer"),
			).on("It has an address"),
		).on("Ready, but computers see it offline").w(4),
	)
}

func vpn() *tnode {
	return ask("start", "VPN will not connect", "What happens when the user clicks Connect?",
		ask("auth-error", "Authentication failed", "Can the user sign in to the web portal with the same password?",
			ask("mfa", "Check the MFA prompt", "Does the MFA push reach the user's phone?",
				fix("mfa-approved", "Approve the push within 60 seconds and reconnect").on("Yes, it was missed").w(2),
				step("mfa-resync", "Re-register the authenticator app",
					fix("mfa-resynced", "MFA re-registered; VPN connects").on("Works").w(3),
					escalate("mfa-identity", "Hand over to the identity team").on("Still no push"),
				).on("No push arrives").hard(),
			).on("Yes, the password is fine").w(2),
			fix("password-reset", "Reset the password and wait for directory sync").on("No, the password is rejected"),
		).on("Authentication failed").w(3),
		ask("timeout", "Connection times out", "Does the user have working internet otherwise?",
			giveUp("no-internet", "The home connection is down; nothing to fix on our side").on("No"),
			ask("network-type", "Check the network the user is on", "Is the user on a hotel, guest or captive-portal network?",
				around("captive", "Open a browser, accept the portal terms, then connect (or use a phone hotspot)").on("Yes").w(2),
				ask("client-version", "Check the VPN client version", "Is the client on the current version?",
					fix("client-update", "Update the VPN client and reboot").on("No, it is outdated").w(2),
					step("reset-adapter", "Reset the virtual network adapter and flush DNS",
						fix("adapter-fixed", "Connects after the adapter reset").on("Connects").w(2),
						escalate("gateway", "Escalate to the network team with the client log").on("Still times out"),
					).on("Yes, it is current").hard(),
				).on("No, a normal home network"),
			).on("Yes"),
		).on("It times out").w(3),
		ask("connected-no-access", "Connected, but nothing loads", "Can the user reach internal sites by IP address?",
			fix("dns-suffix", "Fix the DNS suffix on the VPN adapter and flush DNS").on("Yes, only names fail").w(2),
			q("split-tunnel", "Is the resource in the user's VPN access group?",
				fix("add-group", "Add the user to the access group and reconnect").on("No").w(2),
				escalate("routing", "Escalate to the network team: routing or firewall rule").on("Yes"),
			).on("No"),
		).on("It connects, but internal sites fail"),
		ask("certificate", "Certificate error", "Is the device enrolled in device management?",
			fix("renew-cert", "Renew the device certificate from the management portal").on("Yes").w(2),
			escalate("enroll", "Device not enrolled: hand over to endpoint management").on("No"),
		).on("A certificate error"),
	)
}

func email() *tnode {
	return ask("start", "Email not syncing", "Where does mail fail to sync?",
		ask("mobile", "Mail app on the phone", "Does the phone show new mail in the web version of the mailbox?",
			ask("mobile-account", "Re-check the account on the phone", "Does removing and re-adding the account fix it?",
				fix("mobile-readded", "Account re-added; mail syncs").on("Yes").w(3),
				ask("mobile-policy", "Check the device access policy", "Is the phone quarantined in the mail admin centre?",
					fix("mobile-allow", "Allow the device and wait for the next sync").on("Yes").w(2),
					escalate("mobile-mdm", "Escalate to mobile device management").on("No"),
				).on("No").hard(),
			).on("Yes, webmail has the new mail").w(2),
			giveUp("mobile-server", "The mailbox itself is not receiving; check the service health page").on("No, webmail is also behind"),
		).on("On the phone").w(2),
		ask("desktop", "Desktop mail client", "Is the client showing Working Offline or Disconnected?",
			fix("offline-toggle", "Turn off Work Offline").on("Working Offline").w(2),
			ask("disconnected", "Client is disconnected", "Can the user sign in to webmail?",
				ask("profile", "Rebuild the mail profile", "Did the new profile download mail?",
					fix("profile-rebuilt", "New profile created; mail syncs").on("Yes").w(3),
					ask("mailbox-size", "Check the mailbox size", "Is the mailbox over its quota?",
						around("archive", "Archive old mail to free space; request a larger quota").on("Yes").w(2),
						escalate("mail-server", "Escalate to the messaging team with the connection status").on("No"),
					).on("No, it still does not sync").hard(),
				).on("Yes").w(3),
				fix("webmail-password", "Reset the password; the old one expired").on("No"),
			).on("Disconnected").w(3),
			ask("partial", "Only some folders sync", "Are the missing folders shared or public folders?",
				fix("shared-permission", "Ask the owner to re-grant folder permissions").on("Shared folders"),
				around("cached-mode", "Turn off cached mode for shared folders").on("Public folders"),
				step("ost-repair", "Repair the offline data file",
					fix("ost-repaired", "Offline data file repaired").on("Repaired"),
					giveUp("ost-corrupt", "Data file keeps corrupting; no fix on this visit").on("Keeps failing"),
				).on("The user's own folders").hard(),
			).on("Connected, but some folders are stale"),
		).on("In the desktop client").w(3),
		ask("calendar", "Calendar invites missing", "Are the invites in the Deleted Items folder?",
			fix("delegate-rule", "Remove the delegate rule that moves invites").on("Yes").w(2),
			escalate("calendar-sync", "Escalate to the messaging team: calendar sync").on("No"),
		).on("Calendar only"),
	)
}

func laptopBoot() *tnode {
	return ask("start", "Laptop will not boot", "What happens when you press the power button?",
		ask("no-power", "No lights, no fan", "Does the charging light come on with the charger plugged in?",
			ask("charger", "Check the charger", "Does a known-good charger light it up?",
				fix("charger-replaced", "Replace the user's charger").on("Yes").w(3),
				step("drain", "Unplug everything and hold power for 30 seconds",
					fix("drain-fixed", "The laptop starts after draining residual power").on("It starts").w(2),
					escalate("board", "Likely board failure: send for repair, issue a loaner").on("Still dead"),
				).on("No").hard(),
			).on("No light"),
			step("battery-reset", "Run the embedded battery reset",
				fix("battery-fixed", "Laptop starts after the battery reset").on("It starts").w(2),
				escalate("battery-dead", "Battery dead: send for repair").on("Nothing"),
			).on("Yes, it charges"),
		).on("Nothing at all").w(2),
		ask("black-screen", "Powers on, screen stays black", "Does an external monitor show a picture?",
			escalate("panel", "Internal display or cable failed: send for repair, issue a loaner").on("Yes").w(2),
			q("beeps", "Does the laptop beep or flash a light code?",
				escalate("memory", "Memory error code: send for repair").on("Yes, a code"),
				step("bios-reset", "Reset the BIOS settings to defaults",
					fix("bios-fixed", "Laptop boots after the BIOS reset").on("It boots"),
					giveUp("bios-none", "No picture after the reset; no fix on this visit").on("Still black"),
				).on("No").hard(),
			).on("No"),
		).on("Fans spin, screen stays black"),
		ask("boot-loop", "Stuck at the logo or restarting", "Does automatic repair start?",
			ask("repair", "Run startup repair", "Did startup repair finish?",
				fix("repair-ok", "Startup repair fixed the boot files").on("Yes, it boots").w(2),
				ask("safe-mode", "Try safe mode", "Does it start in safe mode?",
					fix("rollback-update", "Uninstall the latest update from safe mode").on("Yes").w(2),
					ask("bitlocker", "Check for a BitLocker recovery prompt", "Do you have the recovery key?",
						around("reimage", "Back up the user's data and reimage the laptop").on("Yes"),
						escalate("no-key", "No recovery key: escalate to endpoint security").on("No"),
					).on("No").hard(),
				).on("No, it fails"),
			).on("Yes").w(2),
			escalate("disk", "Disk not detected: send for repair").on("No, no boot device found"),
		).on("It loops at the logo").w(3),
		ask("bitlocker-prompt", "Asks for the BitLocker recovery key", "Is the key in the directory?",
			fix("key-found", "Read the key to the user; boot completes").on("Yes").w(4),
			escalate("key-missing", "Escalate to endpoint security").on("No"),
		).on("It asks for a recovery key"),
	)
}

func wifi() *tnode {
	return ask("start", "Wi-Fi keeps dropping", "Does it drop for everyone nearby, or only this device?",
		ask("everyone", "Several people affected", "Is it one area of the building?",
			escalate("access-point", "Report the area and access point to the network team").on("Yes").w(3),
			giveUp("outage", "Site-wide outage: point the user to the status page").on("No, the whole site"),
		).on("Several people"),
		ask("one-device", "Only this device", "Does it drop on other networks too (home, hotspot)?",
			ask("driver", "Update the wireless driver", "Is the driver older than six months?",
				fix("driver-updated", "Update the wireless driver and reboot").on("Yes").w(3),
				ask("power-save", "Turn off adapter power saving", "Did disabling power saving help?",
					fix("power-save-off", "Power saving off; connection stable").on("Yes").w(2),
					ask("band", "Force the 5 GHz band", "Is the connection stable on 5 GHz?",
						around("band-pinned", "Pin the adapter to 5 GHz").on("Yes"),
						escalate("adapter-hw", "Adapter hardware suspected: send for repair").on("No"),
					).on("No").hard(),
				).on("No, it is current"),
			).on("Yes, everywhere").w(2),
			ask("corporate-only", "Only on the corporate network", "Does forgetting the network and reconnecting help?",
				fix("forget-network", "Forget the network and reconnect with the new certificate").on("Yes").w(2),
				ask("roaming", "Check roaming between access points", "Does it drop while the user walks around?",
					around("roaming-aggressive", "Lower the roaming aggressiveness setting").on("Yes"),
					escalate("radius", "Escalate to the network team with the RADIUS log").on("No, also when sitting still"),
				).on("No").hard(),
			).on("No, only here").w(3),
		).on("Only this device").w(4),
	)
}

func lockedOut() *tnode {
	return ask("start", "Account locked out", "Have you verified the caller's identity?",
		giveUp("unverified", "Identity not verified: refer the caller to their manager").on("No, the caller cannot be verified"),
		ask("verified", "Identity verified", "Is the account locked, or is the password expired?",
			ask("locked", "Account locked", "Does it lock again within minutes of unlocking?",
				ask("relock", "Find the source of the bad passwords", "Is an old password saved on a phone or another device?",
					fix("old-device", "Update the password on the phone's mail app; unlock").on("Yes, on the phone").w(3),
					step("mapped-creds", "Clear saved credentials in Credential Manager",
						fix("creds-cleared", "Stale credentials removed; account stays unlocked").on("Stays unlocked").w(2),
						escalate("lockout-source", "Escalate to the identity team with the lockout source log").on("Locks again"),
					).on("No device found").hard(),
				).on("Yes, it locks again").w(2),
				fix("unlocked", "Unlock the account and confirm the user signs in").on("No, it stays unlocked").w(3),
			).on("Locked").w(3),
			ask("expired", "Password expired", "Can the user reach the self-service portal?",
				fix("self-service", "Walk the user through the self-service reset").on("Yes").w(3),
				ask("temp-password", "Set a temporary password", "Does the user have MFA registered?",
					fix("temp-ok", "Temporary password set; user changes it at sign-in").on("Yes").w(2),
					around("mfa-bypass", "Issue a one-time bypass code and book an MFA registration").on("No"),
				).on("No"),
			).on("Expired"),
		).on("Yes, verified").w(9),
	)
}

func slowComputer() *tnode {
	return ask("start", "Computer running slow", "When did it start?",
		ask("after-update", "Slow since an update", "Is the update still installing in the background?",
			around("wait-update", "Let the update finish overnight; check tomorrow").on("Yes").w(2),
			fix("rollback", "Roll back the update").on("No"),
		).on("After an update"),
		ask("gradual", "Slow for a while", "Is the disk more than 90% full?",
			fix("disk-cleanup", "Run disk cleanup and move large files to the shared drive").on("Yes").w(2),
			ask("memory", "Check memory use", "Is memory use above 90% with the usual apps open?",
				around("close-tabs", "Close unused browser tabs and startup apps").on("Yes").w(2),
				ask("startup", "Check startup programs", "Are there more than ten startup programs?",
					fix("trim-startup", "Disable unneeded startup programs and reboot").on("Yes").w(2),
					ask("malware", "Run a full malware scan", "Did the scan find anything?",
						fix("malware-removed", "Threat quarantined; performance back to normal").on("Yes"),
						escalate("hardware-upgrade", "Request a hardware upgrade").on("No").w(2),
					).on("No").hard(),
				).on("No"),
			).on("No"),
		).on("Gradually, over weeks").w(3),
		ask("one-app", "Only one application is slow", "Is it a web application?",
			fix("clear-cache", "Clear the browser cache and disable extensions").on("Yes").w(2),
			escalate("app-team", "Escalate to the application's owners").on("No"),
		).on("Only one application"),
	)
}

func sharedDrive() *tnode {
	return ask("start", "Shared drive not accessible", "What error does the user see?",
		ask("access-denied", "Access denied", "Is the user in the folder's security group?",
			ask("in-group", "User is in the group", "Has the user signed out and back in since being added?",
				fix("relogon", "Sign out and back in to refresh group membership").on("No").w(3),
				step("effective-perms", "Check effective permissions on the folder",
					fix("perms-fixed", "Grant the missing permission through the group").on("Permission missing").w(2),
					escalate("perms-escalate", "Escalate to the file services team").on("Looks correct").hard(),
				).on("Yes"),
			).on("Yes").w(2),
			around("request-access", "Submit an access request to the folder's owner").on("No").w(2),
		).on("Access denied").w(3),
		ask("not-found", "Network path not found", "Is the user connected to the office network or VPN?",
			fix("connect-vpn", "Connect the VPN first, then open the drive").on("No").w(3),
			ask("remap", "Re-map the drive", "Does the path open when typed in full?",
				fix("remapped", "Remove and re-map the drive letter").on("Yes").w(2),
				ask("dns", "Resolve the server name", "Does the server name resolve?",
					escalate("file-server", "File server unreachable: escalate to file services").on("Yes"),
					fix("dns-flush", "Flush DNS and renew the lease").on("No"),
				).on("No").hard(),
			).on("Yes"),
		).on("Network path not found").w(3),
		ask("slow-files", "Files open slowly", "Is offline files sync enabled?",
			around("disable-offline", "Disable offline files for this share").on("Yes"),
			escalate("storage", "Escalate to the storage team").on("No"),
		).on("It opens, but very slowly"),
	)
}

func audio() *tnode {
	return ask("start", "No audio in video calls", "Who cannot hear whom?",
		ask("cannot-hear", "User cannot hear others", "Is the right speaker selected in the call's device settings?",
			fix("select-speaker", "Select the headset as the speaker").on("No").w(3),
			ask("headset", "Test the headset elsewhere", "Does the headset work in another app?",
				ask("app-perms", "Check the app's audio settings", "Is the app up to date?",
					fix("app-update", "Update the meeting app and rejoin").on("No").w(2),
					step("reset-audio", "Reset the audio devices and reinstall the audio driver",
						fix("audio-reset", "Audio works after the driver reinstall").on("Works").w(2),
						giveUp("audio-none", "Still no audio; no fix on this visit").on("Still silent"),
					).on("Yes").hard(),
				).on("Yes"),
				around("spare-headset", "Hand out a spare headset; order a replacement").on("No"),
			).on("Yes"),
		).on("The user hears nothing").w(2),
		ask("cannot-be-heard", "Others cannot hear the user", "Does the operating system allow the app to use the microphone?",
			fix("mic-permission", "Allow microphone access in privacy settings").on("No").w(3),
			ask("mic-level", "Check the input level", "Does the input level move when the user speaks?",
				fix("mic-select", "Select the headset microphone in the call").on("Yes").w(2),
				ask("mute-switch", "Check the headset's mute switch", "Is the headset muted?",
					fix("unmute", "Unmute the headset").on("Yes").w(2),
					escalate("mic-hw", "Microphone hardware fault: replace the headset").on("No"),
				).on("No").hard(),
			).on("Yes"),
		).on("Others cannot hear the user").w(3),
		ask("echo", "Echo or feedback", "Is the user on speakers rather than a headset?",
			around("use-headset", "Use a headset, or enable echo cancellation").on("Yes").w(3),
			escalate("room-system", "Escalate to the AV team").on("No"),
		).on("Echo"),
	)
}

func monitor() *tnode {
	return ask("start", "Second monitor not detected", "How is the monitor connected?",
		ask("dock", "Through a docking station", "Do the dock's other ports (USB, network) work?",
			ask("dock-firmware", "Update the dock firmware", "Is the dock firmware current?",
				step("dock-reset", "Unplug the dock's power for a minute and reconnect",
					fix("dock-reset-ok", "Monitor detected after the dock reset").on("Detected").w(2),
					ask("display-driver", "Update the display driver", "Is the monitor detected after the driver update?",
						fix("driver-ok", "Monitor detected after the driver update").on("Yes").w(2),
						escalate("dock-replace", "Replace the docking station").on("No"),
					).on("Not detected").hard(),
				).on("Yes"),
				fix("firmware-updated", "Update the dock firmware and reconnect").on("No").w(2),
			).on("Yes").w(2),
			around("dock-direct", "Connect the monitor directly to the laptop; replace the dock").on("No"),
		).on("Docking station").w(3),
		ask("direct", "Directly to the laptop", "Does Win+P (or Displays settings) show a second display?",
			fix("extend", "Set the display mode to Extend").on("Yes").w(2),
			ask("cable", "Swap the cable", "Does another cable work?",
				fix("cable-replaced", "Replace the faulty cable").on("Yes").w(2),
				ask("input-source", "Check the monitor's input source", "Is the monitor on the right input?",
					fix("input-set", "Select the right input on the monitor").on("No"),
					escalate("monitor-faulty", "Monitor faulty: swap it").on("Yes"),
				).on("No").hard(),
			).on("No"),
		).on("Directly").w(2),
	)
}
