pub mod maildir_gen;
