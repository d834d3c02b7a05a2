# Staff sign-in and the DPO console (src/ui/staff.rs, src/ui/console*.rs).
